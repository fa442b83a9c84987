using Azure;
using Azure.Data.Tables;
using Payments.Core.Telemetry;

namespace Payments.Core.Payments;

public abstract record PaymentChange
{
    private PaymentChange()
    {
    }

    public sealed record Changed(Payment Payment) : PaymentChange;

    /// <summary>Someone else changed the payment first; here is what it is now.</summary>
    public sealed record Conflict(Payment Current) : PaymentChange;

    public sealed record NotFound : PaymentChange;
}

/// <summary>Payments in their table: point reads, and changes that only land on the version that was read.</summary>
public sealed class PaymentRepository(TableClient table, TimeProvider time)
{
    public TableClient Table => table;

    public async Task<Payment?> FindAsync(PaymentId id, CancellationToken cancellationToken)
    {
        var found = await table.GetEntityIfExistsAsync<TableEntity>(id.PartitionKey, id.Value, cancellationToken: cancellationToken);
        return found.HasValue && found.Value is { } entity ? PaymentEntity.FromEntity(entity) : null;
    }

    /// <summary>
    /// Moves a payment along the state machine with an ETag condition, never check-then-act; its listing index copies
    /// move in the same entity group transaction (<see cref="PaymentIndex.Move"/>).
    /// </summary>
    public async Task<PaymentChange> MoveAsync(Payment payment, PaymentStatus to, string? failureCode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        if (!Payment.CanMove(payment.Status, to))
        {
            throw new InvalidOperationException($"Payment {payment.Id} cannot move from {payment.Status} to {to}.");
        }

        var next = payment with { Status = to, FailureCode = failureCode, UpdatedAt = time.GetUtcNow() };
        try
        {
            var responses = await table.SubmitTransactionAsync(PaymentIndex.Move(payment, next), cancellationToken);
            PaymentsTelemetry.RecordTransition(PaymentIndex.ViewOf(payment.Status), PaymentIndex.ViewOf(to));
            return new PaymentChange.Changed(next with { ETag = responses.Value[0].Headers.ETag ?? default });
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 412 && ex.FailedTransactionActionIndex is null or 0)
        {
            var current = await FindAsync(payment.Id, cancellationToken);
            return current is null ? new PaymentChange.NotFound() : new PaymentChange.Conflict(current);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 404 && ex.FailedTransactionActionIndex is null or 0)
        {
            return new PaymentChange.NotFound();
        }
    }
}
