using Azure.Data.Tables;

namespace Payments.Testing;

/// <summary>Submits a service's batch as it is, with no idempotency record: for tests of the domain services alone.</summary>
public static class PlainCommit
{
    public static Func<T, IReadOnlyList<TableTransactionAction>, CancellationToken, Task<bool>> To<T>(TableClient table) =>
        async (_, batch, cancellationToken) =>
        {
            await table.SubmitTransactionAsync(batch, cancellationToken);
            return true;
        };
}
