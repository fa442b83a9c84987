using Functions.LocalHost.Worker;

namespace Functions.LocalHost.Tests.Worker;

public sealed class WorkerRestartPolicyTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public void RecordDeath_WhenTheLimitIsReachedWithinTheWindowOfEachOther_ShouldGiveUp()
    {
        var policy = new WorkerRestartPolicy(TimeSpan.FromSeconds(10), errorLimit: 3, TimeSpan.FromMinutes(30), _clock);

        Assert.Null(policy.RecordDeath());
        _clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Null(policy.RecordDeath());
        _clock.Advance(TimeSpan.FromMinutes(29));
        var exceeded = policy.RecordDeath();

        Assert.Equal(3, exceeded?.Deaths);
    }

    [Fact]
    public void RecordDeath_WhenADeathComesLaterThanTheWindowAfterThePrevious_ShouldStartCountingAfresh()
    {
        var policy = new WorkerRestartPolicy(TimeSpan.FromSeconds(10), errorLimit: 3, TimeSpan.FromMinutes(30), _clock);
        Assert.Null(policy.RecordDeath());
        Assert.Null(policy.RecordDeath());

        _clock.Advance(TimeSpan.FromMinutes(31));

        Assert.Null(policy.RecordDeath());
        Assert.Null(policy.RecordDeath());
        Assert.NotNull(policy.RecordDeath());
    }

    [Fact]
    public void WaitBeforeRestart_WhenTheLastRestartWasLessThanTheIntervalAgo_ShouldWaitTheRest()
    {
        var policy = new WorkerRestartPolicy(TimeSpan.FromSeconds(10), errorLimit: 3, TimeSpan.FromMinutes(30), _clock);
        Assert.Equal(TimeSpan.Zero, policy.WaitBeforeRestart());
        policy.RecordRestart();

        _clock.Advance(TimeSpan.FromSeconds(4));

        Assert.Equal(TimeSpan.FromSeconds(6), policy.WaitBeforeRestart());
        _clock.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(TimeSpan.Zero, policy.WaitBeforeRestart());
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
