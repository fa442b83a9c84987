using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace Payments.Core.Payments.Gateway;

/// <summary>
/// A payment provider in test mode, with a durable ledger. Test sources: <c>tok_visa</c> succeeds,
/// <c>tok_chargeDeclined</c> is declined, <c>tok_processingError</c> fails transiently on every attempt.
/// Like a real provider it honours its idempotency key: the ledger row is claimed with a conditional insert, so a
/// repeated charge returns the original and records nothing new.
/// </summary>
public sealed class SimulatedPaymentGateway(TableClient ledger, TimeProvider time) : IPaymentGateway
{
    public const string SucceedingSource = "tok_visa";
    public const string DecliningSource = "tok_chargeDeclined";
    public const string FailingSource = "tok_processingError";

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
            ["ChargeId"] = chargeId,
            ["Amount"] = request.Amount,
            ["Currency"] = request.Currency,
            ["CreatedAt"] = time.GetUtcNow(),
        };
        try
        {
            await ledger.AddEntityAsync(entity, cancellationToken);
            return new ChargeOutcome.Charged(chargeId, Replayed: false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var original = await FindChargeAsync(request.IdempotencyKey, cancellationToken)
                ?? throw new GatewayUnavailableException("The ledger reported a charge for this key and then could not find it.");
            return new ChargeOutcome.Charged(original.ChargeId, Replayed: true);
        }
        catch (RequestFailedException ex)
        {
            throw new GatewayUnavailableException($"The simulated gateway's ledger answered {ex.Status}.", ex);
        }
    }

    public async Task<ChargeRecord?> FindChargeAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        try
        {
            var found = await ledger.GetEntityIfExistsAsync<TableEntity>(PartitionFor(idempotencyKey), idempotencyKey, cancellationToken: cancellationToken);
            if (!found.HasValue || found.Value is not { } entity)
            {
                return null;
            }

            return new ChargeRecord(
                entity.GetString("ChargeId") ?? string.Empty,
                idempotencyKey,
                entity.GetInt64("Amount") ?? 0,
                entity.GetString("Currency") ?? string.Empty,
                entity.GetDateTimeOffset("CreatedAt") ?? default);
        }
        catch (RequestFailedException ex)
        {
            throw new GatewayUnavailableException($"The simulated gateway's ledger answered {ex.Status}.", ex);
        }
    }

    private static string PartitionFor(string idempotencyKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..3];
}
