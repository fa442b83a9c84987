using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Idempotency.Tables;
using Payments.Testing;

namespace Idempotency.Tables.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class IdempotencyMetricsTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task ProcessAsync_WhenRequestsExecuteReplayMismatchFailAndTakeOver_ShouldCountEachOutcomeOnce()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        using var outcomes = new OutcomeListener(h.Metrics.Outcomes);
        var handler = new CountingHandler();

        await h.Processor.ProcessAsync(IdempotencyHarness.Request("k1"), handler.Handle, CancellationToken.None);
        await h.Processor.ProcessAsync(IdempotencyHarness.Request("k1"), handler.Handle, CancellationToken.None);
        await h.Processor.ProcessAsync(IdempotencyHarness.Request("k1", """{"amount":5}"""), handler.Handle, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => h.Processor.ProcessAsync(
            IdempotencyHarness.Request("k2"), (_, _) => throw new InvalidOperationException("handler failed"), CancellationToken.None));
        var crashed = IdempotencyHarness.Request("k3");
        var fingerprint = RequestFingerprint.Compute(crashed.Method, crashed.Path, crashed.ContentType, crashed.Body.Span);
        Assert.IsType<ClaimOutcome.Claimed>(await h.Store.ClaimAsync(crashed.Subject, IdempotencyKey.Parse("k3"), fingerprint, CancellationToken.None));
        await h.Processor.ProcessAsync(crashed, handler.Handle, CancellationToken.None);
        h.Time.Advance(TimeSpan.FromSeconds(h.Options.LockSeconds + 1));
        await h.Processor.ProcessAsync(crashed, handler.Handle, CancellationToken.None);

        Assert.Equal(
            new Dictionary<string, long>
            {
                [IdempotencyOutcome.Executed] = 2,
                [IdempotencyOutcome.Replayed] = 1,
                [IdempotencyOutcome.Mismatch] = 1,
                [IdempotencyOutcome.Released] = 1,
                [IdempotencyOutcome.InProgress] = 1,
                [IdempotencyOutcome.Takeover] = 1,
            },
            outcomes.Counts());
    }

    /// <summary>Listens to one counter instance (not every meter of the name), so parallel tests do not count here.</summary>
    private sealed class OutcomeListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

        public OutcomeListener(Counter<long> counter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument, counter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    Assert.Equal(IdempotencyMetrics.OutcomeAttribute, tag.Key); // the outcome, and nothing a caller sent
                    _counts.AddOrUpdate((string)tag.Value!, value, (_, sum) => sum + value);
                }
            });
            _listener.Start();
        }

        public Dictionary<string, long> Counts() => new(_counts, StringComparer.Ordinal);

        public void Dispose() => _listener.Dispose();
    }
}
