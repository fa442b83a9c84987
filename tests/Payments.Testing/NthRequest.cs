
namespace Payments.Testing;

/// <summary>
/// Picks one storage request by its place among those of its kind. A claim-first key is claimed with a batch of its own
/// (the record and its expiry entry), so the handler's batch is the second one.
/// </summary>
public static class NthRequest
{
    /// <summary>Matches the <paramref name="n"/>-th request (1-based) of <paramref name="operation"/> and no other.</summary>
    public static Func<string, string, bool> Of(StorageOperation operation, int n)
    {
        var seen = 0;
        return (method, path) => StorageOperations.Classify(method, path) == operation && Interlocked.Increment(ref seen) == n;
    }
}
