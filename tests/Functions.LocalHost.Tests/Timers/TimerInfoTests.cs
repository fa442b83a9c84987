using System.Text.Json;
using Functions.LocalHost.Timers;

namespace Functions.LocalHost.Tests.Timers;

public sealed class TimerInfoTests
{
    private static readonly DateTime Now = new(2026, 1, 1, 10, 0, 0, 400, DateTimeKind.Utc);

    [Fact]
    public void TimerInfoJson_WhenTheMonitorIsOff_ShouldSendANullScheduleStatus()
    {
        var schedule = TimerSchedule.Parse("*/1 * * * * *", "test");

        using var info = JsonDocument.Parse(TimerTriggerListener.TimerInfoJson(schedule, status: null, isPastDue: false));

        Assert.Equal(JsonValueKind.Null, info.RootElement.GetProperty("ScheduleStatus").ValueKind);
        Assert.False(info.RootElement.GetProperty("IsPastDue").GetBoolean());
    }

    [Theory]
    [InlineData("0 */5 * * * *", true)]
    [InlineData("00:05:00", false)]
    public void TimerInfoJson_WhenScheduleIsCronOrTimeSpan_ShouldSayAdjustForDstOnlyForCron(string expression, bool expected)
    {
        var schedule = TimerSchedule.Parse(expression, "test");

        using var info = JsonDocument.Parse(TimerTriggerListener.TimerInfoJson(schedule, TimerScheduleStatus.Initial(schedule, Now), isPastDue: false));

        Assert.Equal(expected, info.RootElement.GetProperty("Schedule").GetProperty("AdjustForDST").GetBoolean());
    }

    [Fact]
    public void Initial_WhenTheMonitorStartsWithNoRecord_ShouldHaveNoLastRunAndTheNextOccurrence()
    {
        var schedule = TimerSchedule.Parse("0 */5 * * * *", "test");

        var status = TimerScheduleStatus.Initial(schedule, Now);

        Assert.Equal(default, status.Last);
        Assert.Equal(default, status.LastUpdated);
        Assert.Equal(new DateTime(2026, 1, 1, 10, 5, 0, DateTimeKind.Utc), status.Next);
    }

    [Fact]
    public void After_WhenAScheduledFiringCameEarly_ShouldCountFromTheOccurrenceItWasFor()
    {
        var schedule = TimerSchedule.Parse("0 */5 * * * *", "test");
        var status = TimerScheduleStatus.Initial(schedule, Now);
        var early = status.Next.AddMilliseconds(-300);

        var after = status.After(schedule, early, scheduled: true);

        Assert.Equal(status.Next, after.Last);
        Assert.Equal(status.Next, after.LastUpdated);
        Assert.Equal(status.Next.AddMinutes(5), after.Next);
    }

    [Fact]
    public void After_WhenARunOnStartupFiringCameBeforeTheNextOccurrence_ShouldRecordTheActualTime()
    {
        var schedule = TimerSchedule.Parse("0 */5 * * * *", "test");
        var status = TimerScheduleStatus.Initial(schedule, Now);

        var after = status.After(schedule, Now, scheduled: false);

        Assert.Equal(Now, after.Last);
        Assert.Equal(new DateTime(2026, 1, 1, 10, 5, 0, DateTimeKind.Utc), after.Next);
    }
}
