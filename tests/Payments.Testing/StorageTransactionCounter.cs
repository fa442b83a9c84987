using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Payments.Testing;

/// <summary>
/// Counts the storage requests a client sends, one per attempt (it sits after the SDK's retry policy, so a retried
/// request counts each time it goes out): the number a storage bill is made of. Thread-safe.
/// </summary>
public sealed class StorageTransactionCounter : HttpPipelinePolicy
{
    private readonly ConcurrentDictionary<StorageOperation, long> _byOperation = new();
    private readonly Func<Request, bool> _include;
    private long _total;

    /// <param name="include">Which requests count (default: all that pass through this policy).</param>
    public StorageTransactionCounter(Func<Request, bool>? include = null)
    {
        _include = include ?? (_ => true);
    }

    public long Total => Interlocked.Read(ref _total);

    public StorageTransactionSnapshot Snapshot() =>
        new(Total, new Dictionary<StorageOperation, long>(_byOperation));

    /// <summary>Starts a new count and returns what was counted until now.</summary>
    public StorageTransactionSnapshot Reset()
    {
        lock (_byOperation)
        {
            var snapshot = Snapshot();
            _byOperation.Clear();
            Interlocked.Exchange(ref _total, 0);
            return snapshot;
        }
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Count(message);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Count(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Count(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_include(message.Request))
        {
            return;
        }

        // The lock only orders counting against Reset; counting itself is lock-free for readers.
        lock (_byOperation)
        {
            Interlocked.Increment(ref _total);
            _byOperation.AddOrUpdate(StorageOperations.Classify(message.Request), 1, (_, count) => count + 1);
        }
    }
}

public sealed record StorageTransactionSnapshot(long Total, IReadOnlyDictionary<StorageOperation, long> ByOperation)
{
    public long this[StorageOperation operation] => ByOperation.TryGetValue(operation, out var count) ? count : 0;

    public override string ToString() =>
        $"{Total} ({string.Join(", ", ByOperation.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))})";
}
