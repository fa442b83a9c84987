using System.ComponentModel.DataAnnotations;

namespace Payments.Core.Payments;

public sealed class PaymentsOptions
{
    public const string SectionName = "Payments";

    /// <summary>A payment still pending this long after its last enqueue is enqueued again by the sweeper.</summary>
    [Range(5, 86_400, ErrorMessage = "Payments:SweepAfterSeconds is 5 to 86400; it must exceed the normal queue delay or payments get duplicate (harmless but wasteful) messages.")]
    public int SweepAfterSeconds { get; set; } = 60;

    /// <summary>At most this many payments are enqueued again per sweep, so one run stays short.</summary>
    [Range(1, 10_000, ErrorMessage = "Payments:SweepBatchSize is 1 to 10000.")]
    public int SweepBatchSize { get; set; } = 500;
}
