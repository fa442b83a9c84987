using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using Idempotency.Tables;
using Payments.Core.Storage;

namespace Payments.Core.Payments.Gateway;

/// <summary>
/// A payment provider in test mode, with a durable ledger. Test sources: <c>tok_visa</c> succeeds,
/// <c>tok_chargeDeclined</c> is declined, <c>tok_processingError</c> fails transiently on every attempt,
/// <c>tok_slowCharge</c> waits (5 s by default) before its charge lands and then succeeds, and <c>tok_transientError</c>
/// fails its first <see cref="TransientFailures"/> attempts per key (counted in the ledger) and then succeeds.
/// Like a real provider it honours its idempotency key: the key's ledger row is claimed with a conditional insert by
/// whichever comes first, a charge or a void, so a repeated charge returns the original and a charge after a void moves
/// no money. Refunds are their own row beside the key's, claimed the same way.
/// </summary>
public sealed class SimulatedPaymentGateway(TableClient ledger, TimeProvider time, TimeSpan slowChargeDelay) : IPaymentGateway
{
    public const string SucceedingSource = "tok_visa";
    public const string DecliningSource = "tok_chargeDeclined";
    public const string FailingSource = "tok_processingError";
    public const string SlowSource = "tok_slowCharge";
    public const string TransientSource = "tok_transientError";

    /// <summary>Attempts per key that <c>tok_transientError</c> fails; fewer than the queue's maxDequeueCount (5).</summary>
    public const int TransientFailures = 2;

    public static readonly TimeSpan DefaultSlowChargeDelay = TimeSpan.FromSeconds(5);

    private const string ChargeKind = "charge";
    private const string VoidKind = "void";
    private const string RefundSuffix = "~refund";
    private const string AttemptsSuffix = "~attempts";
    private const int MaxCounterConflicts = 10;

    /// <summary>The property names of the ledger's rows (charges, voids, refunds and attempt counters).</summary>
    private static class LedgerProperties
    {
        public const string Kind = EntityProperties.Kind;
        public const string ChargeId = "ChargeId";
        public const string RefundId = "RefundId";
        public const string Amount = "Amount";
        public const string Currency = "Currency";
        public const string Attempts = "Attempts";
        public const string CreatedAt = EntityProperties.CreatedAt;
    }

    public SimulatedPaymentGateway(TableClient ledger, TimeProvider time)
        : this(ledger, time, DefaultSlowChargeDelay)
    {
    }

    public bool KnowsSource(string source) => source is SucceedingSource or DecliningSource or FailingSource or SlowSource or TransientSource;

    public async Task<ChargeOutcome> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (request.Source)
        {
            case DecliningSource:
                return new ChargeOutcome.Declined(FailureCodes.CardDeclined);
            case FailingSource:
                throw new GatewayUnavailableException("The simulated gateway fails every attempt for tok_processingError.");
            case SlowSource:
                // A provider that takes its time: the charge lands only after the wait, as when it completes after its
                // caller gave up.
                await Task.Delay(slowChargeDelay, time, cancellationToken);
                break;
            case TransientSource:
                if (await CountAttemptAsync(request.IdempotencyKey, cancellationToken) <= TransientFailures)
                {
                    throw new GatewayUnavailableException($"The simulated gateway fails the first {TransientFailures} attempts for tok_transientError.");
                }

                break;
            case SucceedingSource:
                break;
            default:
                return new ChargeOutcome.Declined(FailureCodes.CardDeclined);
        }

        var chargeId = "ch_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var entity = new TableEntity(PartitionFor(request.IdempotencyKey), request.IdempotencyKey)
        {
            [LedgerProperties.Kind] = ChargeKind,
            [LedgerProperties.ChargeId] = chargeId,
            [LedgerProperties.Amount] = request.Amount,
            [LedgerProperties.Currency] = request.Currency,
            [LedgerProperties.CreatedAt] = time.GetUtcNow(),
        };
        if (await TryClaimAsync(entity, cancellationToken))
        {
            return new ChargeOutcome.Charged(chargeId, Replayed: false);
        }

        var holder = await ReadKeyAsync(request.IdempotencyKey, cancellationToken)
            ?? throw new GatewayUnavailableException("The ledger reported a row for this key and then could not find it.");
        return IsVoid(holder)
            ? new ChargeOutcome.Voided()
            : new ChargeOutcome.Charged(ToCharge(holder).ChargeId, Replayed: true);
    }

    public async Task<VoidOutcome> VoidAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        var entity = new TableEntity(PartitionFor(idempotencyKey), idempotencyKey)
        {
            [LedgerProperties.Kind] = VoidKind,
            [LedgerProperties.CreatedAt] = time.GetUtcNow(),
        };
        if (await TryClaimAsync(entity, cancellationToken))
        {
            return new VoidOutcome.Voided();
        }

        var holder = await ReadKeyAsync(idempotencyKey, cancellationToken)
            ?? throw new GatewayUnavailableException("The ledger reported a row for this key and then could not find it.");
        return IsVoid(holder) ? new VoidOutcome.Voided() : new VoidOutcome.AlreadyCharged(ToCharge(holder));
    }

    public async Task<RefundRecord?> RefundAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        if (await FindChargeAsync(idempotencyKey, cancellationToken) is not { } charge)
        {
            return null;
        }

        var refundId = "re_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var entity = new TableEntity(PartitionFor(idempotencyKey), idempotencyKey + RefundSuffix)
        {
            [LedgerProperties.Kind] = "refund",
            [LedgerProperties.RefundId] = refundId,
            [LedgerProperties.ChargeId] = charge.ChargeId,
            [LedgerProperties.Amount] = charge.Amount,
            [LedgerProperties.Currency] = charge.Currency,
            [LedgerProperties.CreatedAt] = time.GetUtcNow(),
        };
        if (await TryClaimAsync(entity, cancellationToken))
        {
            return new RefundRecord(refundId, charge.ChargeId, charge.Amount, charge.Currency, Replayed: false);
        }

        var existing = await ReadAsync(PartitionFor(idempotencyKey), idempotencyKey + RefundSuffix, cancellationToken)
            ?? throw new GatewayUnavailableException("The ledger reported a refund for this key and then could not find it.");
        return new RefundRecord(existing.GetString(LedgerProperties.RefundId) ?? string.Empty, charge.ChargeId, charge.Amount, charge.Currency, Replayed: true);
    }

    public async Task<ChargeRecord?> FindChargeAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        var entity = await ReadKeyAsync(idempotencyKey, cancellationToken);
        return entity is null || IsVoid(entity) ? null : ToCharge(entity);
    }

    /// <summary>Whether a refund is on record for the key's charge.</summary>
    public async Task<bool> IsRefundedAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        await ReadAsync(PartitionFor(idempotencyKey), idempotencyKey + RefundSuffix, cancellationToken) is not null;

    /// <summary>This attempt's number for the key, counted with conditional writes so concurrent attempts each get their own.</summary>
    private async Task<long> CountAttemptAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        var partitionKey = PartitionFor(idempotencyKey);
        var rowKey = idempotencyKey + AttemptsSuffix;
        for (var conflict = 0; conflict < MaxCounterConflicts; conflict++)
        {
            try
            {
                var current = await ReadAsync(partitionKey, rowKey, cancellationToken);
                if (current is null)
                {
                    await ledger.AddEntityAsync(new TableEntity(partitionKey, rowKey) { [LedgerProperties.Attempts] = 1L }, cancellationToken);
                    return 1;
                }

                var next = (current.GetInt64(LedgerProperties.Attempts) ?? 0) + 1;
                current[LedgerProperties.Attempts] = next;
                await ledger.UpdateEntityAsync(current, current.ETag, TableUpdateMode.Replace, cancellationToken);
                return next;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another attempt counted first; read again.
            }
            catch (RequestFailedException ex)
            {
                throw new GatewayUnavailableException($"The simulated gateway's ledger answered {ex.Status}.", ex);
            }
        }

        throw new GatewayUnavailableException("The simulated gateway's attempt counter kept changing.");
    }

    private async Task<bool> TryClaimAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        try
        {
            await ledger.AddEntityAsync(entity, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
        catch (RequestFailedException ex)
        {
            throw new GatewayUnavailableException($"The simulated gateway's ledger answered {ex.Status}.", ex);
        }
    }

    private Task<TableEntity?> ReadKeyAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        ReadAsync(PartitionFor(idempotencyKey), idempotencyKey, cancellationToken);

    private async Task<TableEntity?> ReadAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            var found = await ledger.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken);
            return found.HasValue ? found.Value : null;
        }
        catch (RequestFailedException ex)
        {
            throw new GatewayUnavailableException($"The simulated gateway's ledger answered {ex.Status}.", ex);
        }
    }

    // Rows written before voids existed carry no kind; they are all charges.
    private static bool IsVoid(TableEntity entity) => entity.GetString(LedgerProperties.Kind) == VoidKind;

    private static ChargeRecord ToCharge(TableEntity entity) => new(
        entity.GetString(LedgerProperties.ChargeId) ?? string.Empty,
        entity.RowKey,
        entity.GetInt64(LedgerProperties.Amount) ?? 0,
        entity.GetString(LedgerProperties.Currency) ?? string.Empty,
        entity.GetDateTimeOffset(LedgerProperties.CreatedAt) ?? default);

    private static string PartitionFor(string idempotencyKey) => StableHash.Partition(idempotencyKey);
}
