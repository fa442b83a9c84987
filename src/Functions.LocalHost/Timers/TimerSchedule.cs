using System.Globalization;
using NCrontab;

namespace Functions.LocalHost.Timers;

/// <summary>A timer trigger's schedule: six-field CRON (NCrontab, as the real host) or a TimeSpan interval.</summary>
internal sealed class TimerSchedule
{
    private readonly CrontabSchedule? _cron;
    private readonly TimeSpan _interval;
    private readonly bool _onlySecondsRestricted;

    private TimerSchedule(CrontabSchedule? cron, TimeSpan interval, bool onlySecondsRestricted = false)
    {
        _cron = cron;
        _interval = interval;
        _onlySecondsRestricted = onlySecondsRestricted;
    }

    /// <summary>
    /// What the real host's TimerInfo says in <c>Schedule.AdjustForDST</c>: true for CRON schedules, false for
    /// TimeSpan intervals (azure-webjobs-sdk-extensions CronSchedule / ConstantSchedule).
    /// </summary>
    public bool AdjustForDst => _cron is not null;

    public static TimerSchedule Parse(string expression, string context)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields == 6 && CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true }) is { } withSeconds)
        {
            var rest = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1);
            return new TimerSchedule(withSeconds, TimeSpan.Zero, rest.All(field => field == "*"));
        }

        if (fields == 5 && CrontabSchedule.TryParse(expression) is { } withoutSeconds)
        {
            return new TimerSchedule(withoutSeconds, TimeSpan.Zero);
        }

        if (fields == 1 && TimeSpan.TryParse(expression, CultureInfo.InvariantCulture, out var interval) && interval > TimeSpan.Zero)
        {
            return new TimerSchedule(null, interval);
        }

        throw new InvalidOperationException(
            $"{context}: schedule '{expression}' is neither a CRON expression ({{second}} {{minute}} {{hour}} {{day}} " +
            "{month} {day-of-week}, e.g. \"0 */5 * * * *\") nor an interval such as \"00:05:00\".");
    }

    /// <summary>
    /// Whether the schedule monitor runs, as the real host decides (azure-webjobs-sdk-extensions
    /// <c>TimerSchedule.Create</c>, <c>ShouldDisableScheduleMonitor</c>): the binding's <c>useMonitor</c> (default
    /// true), turned off for an interval under a minute and for a CRON schedule whose only restricted field is the
    /// seconds and that fires more than once in the next minute.
    /// </summary>
    public bool UsesMonitor(bool useMonitorSetting, DateTime now)
    {
        if (!useMonitorSetting)
        {
            return false;
        }

        if (_cron is { } cron)
        {
            return !(_onlySecondsRestricted && cron.GetNextOccurrences(now, now + TimeSpan.FromMinutes(1)).Skip(1).Any());
        }

        return _interval >= TimeSpan.FromMinutes(1);
    }

    /// <summary>The next occurrence after <paramref name="now"/>, in UTC (the real host's default without WEBSITE_TIME_ZONE).</summary>
    public DateTime Next(DateTime now) => _cron is { } cron ? cron.GetNextOccurrence(now) : now + _interval;
}
