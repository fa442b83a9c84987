using Functions.LocalHost.Timers;

namespace Functions.LocalHost.Tests.Timers;

public sealed class TimerScheduleTests
{
    private static readonly DateTime Now = new(2026, 1, 1, 10, 0, 0, 400, DateTimeKind.Utc);

    [Theory]
    [InlineData("*/1 * * * * *", "2026-01-01T10:00:01")]
    [InlineData("0 */5 * * * *", "2026-01-01T10:05:00")]
    [InlineData("30 0 10 * * *", "2026-01-01T10:00:30")]
    [InlineData("00:00:10", "2026-01-01T10:00:10.4")]
    public void Next_WhenScheduleIsSixFieldCronOrInterval_ShouldGiveTheNextOccurrence(string expression, string expected)
    {
        var schedule = TimerSchedule.Parse(expression, "test");

        Assert.Equal(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), schedule.Next(Now));
    }

    [Fact]
    public void Parse_WhenExpressionIsInvalid_ShouldFailShowingTheExpectedFormat()
    {
        var error = Assert.Throws<InvalidOperationException>(() => TimerSchedule.Parse("every minute", "Function 'T'"));

        Assert.Contains("'every minute'", error.Message, StringComparison.Ordinal);
        Assert.Contains("0 */5 * * * *", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("*/1 * * * * *", true, false)]
    [InlineData("*/10 * * * * *", true, false)]
    [InlineData("0 * * * * *", true, true)]
    [InlineData("*/10 5 * * * *", true, true)]
    [InlineData("0 */5 * * * *", true, true)]
    [InlineData("0 */5 * * * *", false, false)]
    [InlineData("00:00:30", true, false)]
    [InlineData("00:01:00", true, true)]
    [InlineData("00:05:00", false, false)]
    public void UsesMonitor_WhenScheduleIsSubMinuteOrUseMonitorIsFalse_ShouldBeOffAsInTheRealHost(string expression, bool useMonitor, bool expected)
    {
        var schedule = TimerSchedule.Parse(expression, "test");

        Assert.Equal(expected, schedule.UsesMonitor(useMonitor, Now));
    }

    [Theory]
    [InlineData("0 */5 * * * *", true)]
    [InlineData("0 */5 * * *", true)]
    [InlineData("00:05:00", false)]
    public void AdjustForDst_WhenScheduleIsCronOrTimeSpan_ShouldBeTrueOnlyForCron(string expression, bool expected)
    {
        Assert.Equal(expected, TimerSchedule.Parse(expression, "test").AdjustForDst);
    }
}
