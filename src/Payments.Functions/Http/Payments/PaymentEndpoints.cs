using Idempotency.Tables;
using Payments.Core.Payments;

namespace Payments.Functions.Http.Payments;

/// <summary>What each payments route answers, decided here so the function classes stay adapters.</summary>
public sealed class PaymentEndpoints(PaymentService payments, PaymentListing listing)
{
    public const string CollectionPath = "/api/v1/payments";

    /// <summary>
    /// Accepts a payment under an idempotency key (claimless: the only effect is one batch). The payment and the
    /// recorded response are written in one entity group transaction, so a replay can never find one without the other.
    /// The payment's id is new for every attempt (derived from <see cref="IdempotencyLease.ResourceSeed"/>), so a key
    /// reused after its record expired or was reaped creates a new payment and leaves the old one untouched.
    /// </summary>
    public async Task<ApiResponse> CreateAsync(
        string merchantId, IdempotencyLease lease, CreatePaymentRequest request, string? traceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var id = PaymentId.Derive(lease.PartitionKey, lease.ResourceSeed);
        var create = new LeasedCreate(lease, 202, CollectionPath);
        var outcome = await payments.AcceptAsync(merchantId, id, request,
            (payment, batch, ct) => create.CommitAsync(PaymentResource.From(payment).ToJson(), payment.Id.Value, batch, ct), cancellationToken);
        return outcome switch
        {
            AcceptOutcome.Accepted => create.Answer!,
            AcceptOutcome.UnknownCustomer unknown =>
                ApiResponse.Problem(ApiProblems.UnknownCustomer(unknown.CustomerId), CollectionPath, traceId) with { Retention = ResponseRetention.Final },
            AcceptOutcome.Superseded => create.Superseded(traceId),
            _ => throw new InvalidOperationException("Unknown accept outcome."),
        };
    }

    public async Task<ApiResponse> GetAsync(string merchantId, string id, string? ifNoneMatch, string? traceId, CancellationToken cancellationToken)
    {
        var payment = await payments.FindAsync(merchantId, id, cancellationToken);
        if (payment is null)
        {
            return ApiResponse.Problem(ApiProblems.NotFound("payment"), $"{CollectionPath}/{id}", traceId);
        }

        var json = PaymentResource.From(payment).ToJson();
        var etag = StrongETag.For(json);
        return StrongETag.Matches(ifNoneMatch, etag) ? ApiResponse.NotModified(etag) : ApiResponse.Resource(200, json, etag);
    }

    public async Task<ApiResponse> ListAsync(
        string merchantId, string? status, string? limit, string? cursor, string? traceId, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        PaymentStatus? wanted = null;
        if (status is not null)
        {
            if (TryParseStatus(status, out var parsed))
            {
                wanted = parsed;
            }
            else
            {
                errors["status"] = ["status is one of pending, processing, succeeded, failed."];
            }
        }

        var pageSize = 20;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pageSize)
            || pageSize is < 1 or > PaymentListing.MaxLimit))
        {
            errors["limit"] = [$"limit is a whole number from 1 to {PaymentListing.MaxLimit}."];
        }

        PaymentCursor? after = null;
        if (cursor is not null)
        {
            if (PaymentCursor.TryDecode(cursor, out var decoded))
            {
                after = decoded;
            }
            else
            {
                errors["cursor"] = ["cursor is not one this API handed out; use the nextCursor of the previous page, or leave it out."];
            }
        }

        if (errors.Count > 0)
        {
            return ApiResponse.Problem(ApiProblems.Validation(errors), CollectionPath, traceId);
        }

        var page = await listing.ListAsync(merchantId, wanted, pageSize, after, cancellationToken);
        var json = PaymentPageResource.From(page).ToJson();
        return ApiResponse.Resource(200, json, StrongETag.For(json));
    }

    /// <summary>Only the documented names: <c>Enum.TryParse</c> would also take "1" or "Pending".</summary>
    private static bool TryParseStatus(string text, out PaymentStatus status)
    {
        status = default;
        foreach (var candidate in Enum.GetValues<PaymentStatus>())
        {
            if (string.Equals(PaymentIndex.ViewOf(candidate), text, StringComparison.Ordinal))
            {
                status = candidate;
                return true;
            }
        }

        return false;
    }
}
