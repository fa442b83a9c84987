using System.Collections.Concurrent;

namespace Idempotency.Tables;

/// <summary>
/// How many duplicates of each caller are waiting for an in-flight first attempt on this instance. Each waiter polls
/// storage, so without a bound one caller could hold any number of them. State per instance, which is allowed here:
/// it decides only whether a duplicate waits or is answered 409 at once, never what a request does.
/// </summary>
public sealed class DuplicateWaiters(int maxPerCaller)
{
    private readonly ConcurrentDictionary<string, int> waiting = new(StringComparer.Ordinal);

    /// <summary>Takes a waiting place for the caller, or returns false when the caller already holds the maximum.</summary>
    public bool TryEnter(string subject)
    {
        while (true)
        {
            var current = waiting.GetOrAdd(subject, 0);
            if (current >= maxPerCaller)
            {
                return false;
            }

            if (waiting.TryUpdate(subject, current + 1, current))
            {
                return true;
            }
        }
    }

    /// <summary>Gives back a waiting place taken with <see cref="TryEnter"/>.</summary>
    public void Exit(string subject)
    {
        while (true)
        {
            var current = waiting[subject];
            if (current <= 1 ? waiting.TryRemove(KeyValuePair.Create(subject, current)) : waiting.TryUpdate(subject, current - 1, current))
            {
                return;
            }
        }
    }

    /// <summary>Waiting duplicates of the caller now (for tests).</summary>
    public int Count(string subject) => waiting.TryGetValue(subject, out var count) ? count : 0;
}
