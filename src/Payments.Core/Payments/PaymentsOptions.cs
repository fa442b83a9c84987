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

    /// <summary>
    /// At most this many partitions (of 4,096) are read per sweep, one range query each; the next sweep resumes after the
    /// last. A lost enqueue is completed within SweepAfterSeconds plus ceil(4096 / this) schedule periods.
    /// </summary>
    [Range(16, 4_096, ErrorMessage = "Payments:SweepPartitionsPerRun is 16 to 4096 (partitions read per sweep; a full pass takes ceil(4096 / it) runs).")]
    public int SweepPartitionsPerRun { get; set; } = 4_096;

    /// <summary>How long the simulated gateway holds a <c>tok_slowCharge</c> charge before recording it.</summary>
    [Range(0, 600_000, ErrorMessage = "Payments:SlowChargeMilliseconds is 0 to 600000 (how long tok_slowCharge waits before its charge lands).")]
    public int SlowChargeMilliseconds { get; set; } = 5_000;

    /// <summary>
    /// Whether payment messages carry the accepting request's W3C trace context (an optional field). Set false for the
    /// first deployment over a build whose readers refused unknown properties, then true once every worker tolerates it.
    /// </summary>
    public bool MessageTraceContext { get; set; } = true;
}
