using Azure;
using Payments.Core.Telemetry;

namespace Payments.Core.Payments;

public enum PaymentStatus
{
    Pending,
    Processing,
    Succeeded,
    Failed,
}

public static class FailureCodes
{
    public const string CardDeclined = "card_declined";
    public const string ProcessingError = "processing_error";
}

/// <summary>A payment as stored. Terminal states (succeeded, failed) never change.</summary>
public sealed record Payment(
    PaymentId Id,
    string MerchantId,
    long Amount,
    string Currency,
    string Source,
    string? CustomerId,
    string? Description,
    IReadOnlyDictionary<string, string> Metadata,
    PaymentStatus Status,
    string? FailureCode,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset EnqueuedAt,
    ETag ETag)
{
    /// <summary>The trace of the request that accepted the payment, when telemetry was on; kept through every move.</summary>
    public PaymentTraceContext? TraceContext { get; init; }

    public bool IsTerminal => Status is PaymentStatus.Succeeded or PaymentStatus.Failed;

    /// <summary>The only transitions the state machine allows; everything else is refused by the caller.</summary>
    public static bool CanMove(PaymentStatus from, PaymentStatus to) => (from, to) switch
    {
        (PaymentStatus.Pending, PaymentStatus.Processing) => true,
        (PaymentStatus.Pending, PaymentStatus.Failed) => true,
        (PaymentStatus.Pending, PaymentStatus.Succeeded) => true,
        (PaymentStatus.Processing, PaymentStatus.Succeeded) => true,
        (PaymentStatus.Processing, PaymentStatus.Failed) => true,
        _ => false,
    };
}
