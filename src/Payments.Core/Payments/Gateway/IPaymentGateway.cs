namespace Payments.Core.Payments.Gateway;

/// <summary>What the processor asks a payment provider to do. The idempotency key makes a repeated charge harmless.</summary>
public sealed record ChargeRequest(string IdempotencyKey, long Amount, string Currency, string Source);

public abstract record ChargeOutcome
{
    private ChargeOutcome()
    {
    }

    public sealed record Charged(string ChargeId, bool Replayed) : ChargeOutcome;

    /// <summary>A final business answer: charging again will not change it.</summary>
    public sealed record Declined(string FailureCode) : ChargeOutcome;

    /// <summary>The key was voided before any charge landed for it: no money moved, and none ever will for this key.</summary>
    public sealed record Voided : ChargeOutcome;
}

public abstract record VoidOutcome
{
    private VoidOutcome()
    {
    }

    /// <summary>The key is voided (now or by an earlier void): no charge can land for it any more.</summary>
    public sealed record Voided : VoidOutcome;

    /// <summary>A charge took the key first; it stands.</summary>
    public sealed record AlreadyCharged(ChargeRecord Charge) : VoidOutcome;
}

/// <summary>A charge the provider holds on record for a key.</summary>
public sealed record ChargeRecord(string ChargeId, string IdempotencyKey, long Amount, string Currency, DateTimeOffset CreatedAt);

/// <summary>A refund of the whole charge held for a key; refunding twice returns the first refund.</summary>
public sealed record RefundRecord(string RefundId, string ChargeId, long Amount, string Currency, bool Replayed);

public interface IPaymentGateway
{
    /// <summary>Whether the gateway accepts this payment source; asked before a payment is accepted.</summary>
    bool KnowsSource(string source);

    /// <summary>Charges once per key. Throws <see cref="GatewayUnavailableException"/> for transient failures.</summary>
    Task<ChargeOutcome> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Claims the key so that no charge can land for it any more, with the same conditional insert a charge uses: the
    /// first of the two to reach the provider wins. Throws <see cref="GatewayUnavailableException"/> for transient failures.
    /// </summary>
    Task<VoidOutcome> VoidAsync(string idempotencyKey, CancellationToken cancellationToken);

    /// <summary>Refunds the charge held for the key, once. Null when no charge is held for it.</summary>
    Task<RefundRecord?> RefundAsync(string idempotencyKey, CancellationToken cancellationToken);

    /// <summary>The charge that went through for this key, if any (a void is not a charge).</summary>
    Task<ChargeRecord?> FindChargeAsync(string idempotencyKey, CancellationToken cancellationToken);
}

/// <summary>The provider could not answer now; the queue retries the message.</summary>
public sealed class GatewayUnavailableException : Exception
{
    public GatewayUnavailableException()
    {
    }

    public GatewayUnavailableException(string message) : base(message)
    {
    }

    public GatewayUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
