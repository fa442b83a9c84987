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
}

/// <summary>A charge the provider holds on record for a key.</summary>
public sealed record ChargeRecord(string ChargeId, string IdempotencyKey, long Amount, string Currency, DateTimeOffset CreatedAt);

public interface IPaymentGateway
{
    /// <summary>Charges once per key. Throws <see cref="GatewayUnavailableException"/> for transient failures.</summary>
    Task<ChargeOutcome> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken);

    /// <summary>Whether a charge went through for this key (used when settling a payment whose processing gave up).</summary>
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
