using Azure.Data.Tables;
using Functions.LocalHost.Tests.Infrastructure;

namespace Functions.LocalHost.Tests.Timers;

[Collection(SampleAppCollection.Name)]
public sealed class TimerTriggerTests(SampleAppHost app)
{
    [Fact]
    public async Task Timer_WhenScheduledEverySecond_ShouldFireRepeatedlyWithoutScheduleStatusOrPastDue()
    {
        var firings = await Eventually.UntilAsync(
            async () => await app.Results.QueryAsync<TableEntity>(entity => entity.PartitionKey == "timer").ToListAsync(),
            list => list!.Count >= 2,
            "two firings of the every-second timer",
            TimeSpan.FromSeconds(10));

        Assert.All(firings, firing =>
        {
            Assert.False(firing.GetBoolean("IsPastDue"));
            // A sub-minute schedule runs without the schedule monitor, so the real host sends no ScheduleStatus.
            Assert.Equal("(none)", firing.GetString("Next"));
        });
    }
}
