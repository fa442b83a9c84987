using Functions.LocalHost.Queues;

namespace Functions.LocalHost.Tests.Queues;

public sealed class PollingBackoffTests
{
    private static readonly TimeSpan Minimum = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Maximum = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(0.5, new[] { 100, 200, 300, 500, 900, 1700, 2000, 2000 })]
    [InlineData(0.0, new[] { 100, 180, 260, 420, 740, 1380, 2000, 2000 })]
    [InlineData(1.0, new[] { 100, 220, 340, 580, 1060, 2000, 2000 })]
    public void Next_WhenPollsKeepFindingNothing_ShouldGrowAsTheRealBackoffUntilTheMaximumThenStay(double random, int[] expectedMilliseconds)
    {
        var backoff = new PollingBackoff(Minimum, Maximum, () => random);

        var delays = expectedMilliseconds.Select(_ => backoff.Next().TotalMilliseconds).ToArray();

        Assert.Equal(expectedMilliseconds.Select(ms => (double)ms), delays.Select(ms => Math.Round(ms, 3)));
    }

    [Fact]
    public void Next_WhenABatchBroughtMessages_ShouldStartAgainOneStepAboveTheMinimum()
    {
        var backoff = new PollingBackoff(Minimum, Maximum, () => 0.5);
        for (var poll = 0; poll < 10; poll++)
        {
            backoff.Next();
        }

        backoff.Reset();

        Assert.Equal(TimeSpan.FromMilliseconds(200), backoff.Next());
    }
}
