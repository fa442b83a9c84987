using Azure.Data.Tables;
using Idempotency.Tables;

namespace Payments.Functions.Http;

/// <summary>
/// A create under an idempotency lease: the service hands its batch to <see cref="CommitAsync"/>, which writes the
/// answer (the new resource's representation) in the same entity group transaction, so a replay can never find one
/// without the other.
/// </summary>
internal sealed class LeasedCreate(IdempotencyLease lease, int statusCode, string collectionPath)
{
    /// <summary>The answer committed with the resource; set once <see cref="CommitAsync"/> has run.</summary>
    public ApiResponse? Answer { get; private set; }

    /// <summary>Submits the batch with the answer; false when nothing was written because another attempt owns the key.</summary>
    public async Task<bool> CommitAsync(byte[] json, string id, IReadOnlyList<TableTransactionAction> batch, CancellationToken cancellationToken)
    {
        Answer = ApiResponse.Resource(statusCode, json, StrongETag.For(json), $"{collectionPath}/{id}");
        return await lease.SubmitAsync(batch, Answer.ToStoredResponse(), cancellationToken) == BatchCommit.Committed;
    }

    /// <summary>Another attempt owns the key: the idempotency layer answers with that attempt's outcome; this is not stored.</summary>
    public ApiResponse Superseded(string? traceId) =>
        ApiResponse.Problem(ApiProblems.Superseded(lease.LockedUntil), collectionPath, traceId) with { Retention = ResponseRetention.Transient };
}
