using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace Payments.Core.Payments.Gateway;

/// <summary>
/// A payment provider in test mode, with a durable ledger. Test sources: <c>tok_visa</c> succeeds,
/// <c>tok_chargeDeclined</c> is declined, <c>tok_processingError</c> fails transiently on every attempt.
/// Like a real provider it honours its idempotency key: the key's ledger row is claimed with a conditional insert by
/// whichever comes first, a charge or a void, so a repeated charge returns the original and a charge after a void moves
/// no money. Refunds are their own row beside the key's, claimed the same way.
/// </summary>
public sealed class SimulatedPaymentGateway(TableClient ledger, TimeProvider time) : IPaymentGateway
{
    public const string SucceedingSource = "tok_visa";
    public const string DecliningSource = "tok_chargeDeclined";
    public const string FailingSource = "tok_processingError";

    private const string KindProperty = "Kind";
    private const string ChargeKind = "charge";
    private const string VoidKind = "void";
    private const string RefundSuffix = "~refund";

    public bool KnowsSource(string source) => source is SucceedingSource or DecliningSource or FailingSource;

    public async Task<ChargeOutcome> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (request.Source)
        {
            case DecliningSource:
                return new ChargeOutcome.Declined(FailureCodes.CardDeclined);
            case FailingSource:
                throw new GatewayUnavailableException("The simulated gateway fails every attempt for tok_processingError.");
            case SucceedingSource:
                break;
            default:
                return new ChargeOutcome.Declined(FailureCodes.CardDeclined);
        }

        var chargeId = "ch_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var entity = new TableEntity(PartitionFor(request.IdempotencyKey), request.IdempotencyKey)
        {
            [KindProperty] = ChargeKind,
            ["ChargeId"] = chargeId,
            ["Amount"] = request.Amount,
            ["Currency"] = request.Currency,
            ["CreatedAt"] = time.GetUtcNow(),
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
            [KindProperty] = VoidKind,
            ["CreatedAt"] = time.GetUtcNow(),
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
            [KindProperty] = "refund",
            ["RefundId"] = refundId,
            ["ChargeId"] = charge.ChargeId,
            ["Amount"] = charge.Amount,
            ["Currency"] = charge.Currency,
            ["CreatedAt"] = time.GetUtcNow(),
        };
        if (await TryClaimAsync(entity, cancellationToken))
        {
            return new RefundRecord(refundId, charge.ChargeId, charge.Amount, charge.Currency, Replayed: false);
        }

        var existing = await ReadAsync(PartitionFor(idempotencyKey), idempotencyKey + RefundSuffix, cancellationToken)
            ?? throw new GatewayUnavailableException("The ledger reported a refund for this key and then could not find it.");
        return new RefundRecord(existing.GetString("RefundId") ?? string.Empty, charge.ChargeId, charge.Amount, charge.Currency, Replayed: true);
    }

    public async Task<ChargeRecord?> FindChargeAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        var entity = await ReadKeyAsync(idempotencyKey, cancellationToken);
        return entity is null || IsVoid(entity) ? null : ToCharge(entity);
    }

    /// <summary>Whether a refund is on record for the key's charge.</summary>
    public async Task<bool> IsRefundedAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        await ReadAsync(PartitionFor(idempotencyKey), idempotencyKey + RefundSuffix, cancellationToken) is not null;

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
    private static bool IsVoid(TableEntity entity) => entity.GetString(KindProperty) == VoidKind;

    private static ChargeRecord ToCharge(TableEntity entity) => new(
        entity.GetString("ChargeId") ?? string.Empty,
        entity.RowKey,
        entity.GetInt64("Amount") ?? 0,
        entity.GetString("Currency") ?? string.Empty,
        entity.GetDateTimeOffset("CreatedAt") ?? default);

    private static string PartitionFor(string idempotencyKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..3];
}
