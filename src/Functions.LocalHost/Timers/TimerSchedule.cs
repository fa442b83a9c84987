using System.Globalization;
using NCrontab;

namespace Functions.LocalHost.Timers;

/// <summary>A timer trigger's schedule: six-field CRON (NCrontab, as the real host) or a TimeSpan interval.</summary>
internal sealed class TimerSchedule
{
    private readonly CrontabSchedule? _cron;
    private readonly TimeSpan _interval;

    private TimerSchedule(CrontabSchedule? cron, TimeSpan interval)
    {
        _cron = cron;
        _interval = interval;
    }

    public static TimerSchedule Parse(string expression, string context)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields == 6 && CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true }) is { } withSeconds)
        {
            return new TimerSchedule(withSeconds, TimeSpan.Zero);
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

    /// <summary>The next occurrence after <paramref name="now"/>, in UTC (the real host's default without WEBSITE_TIME_ZONE).</summary>
    public DateTime Next(DateTime now) => _cron is { } cron ? cron.GetNextOccurrence(now) : now + _interval;
}
