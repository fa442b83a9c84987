using System.Text.Json;
using Functions.LocalHost.Configuration;
using Functions.LocalHost.Grpc;
using Functions.LocalHost.Grpc.Messages;
using Functions.LocalHost.Worker;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.Timers;

/// <summary>
/// Fires one timer function on its schedule, one invocation at a time (the real host holds a singleton lock per
/// timer), with the TimerInfo payload the real host sends; runOnStartup fires once at start. There is no persisted
/// schedule monitor: each start is a real host's first start with an empty monitor store, so no firing is ever past
/// due, and ScheduleStatus is sent only where the real host would run a monitor (otherwise null).
/// </summary>
internal sealed partial class TimerTriggerListener : IAsyncDisposable
{
    private readonly FunctionDescriptor _function;
    private readonly WorkerSupervisor _supervisor;
    private readonly TimerSchedule _schedule;
    private readonly bool _runOnStartup;
    private readonly bool _useMonitor;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private TimerScheduleStatus _status;

    private TimerTriggerListener(FunctionDescriptor function, WorkerSupervisor supervisor, TimerSchedule schedule, bool runOnStartup, bool useMonitor, ILogger logger)
    {
        _function = function;
        _supervisor = supervisor;
        _schedule = schedule;
        _runOnStartup = runOnStartup;
        _useMonitor = schedule.UsesMonitor(useMonitor, DateTime.UtcNow);
        _logger = logger;
        _status = TimerScheduleStatus.Initial(schedule, DateTime.UtcNow);
    }

    public static TimerTriggerListener Create(FunctionDescriptor function, WorkerSupervisor supervisor, AppSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(settings);
        var context = $"Function '{function.Name}', binding '{function.Trigger.Name}' (timerTrigger)";
        var expression = settings.Resolve(
            function.Trigger.GetString("schedule") ?? throw new InvalidOperationException($"{context} has no schedule."),
            context);
        return new TimerTriggerListener(function, supervisor, TimerSchedule.Parse(expression, context), function.Trigger.GetBool("runOnStartup"),
            function.Trigger.GetBool("useMonitor", defaultValue: true), logger);
    }

    public void Start() => _loop = Task.Run(() => RunAsync(_stopping.Token));

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_runOnStartup)
            {
                await FireAsync(scheduled: false, cancellationToken);
            }

            while (!cancellationToken.IsCancellationRequested)
            {
                var now = DateTime.UtcNow;
                var next = _schedule.Next(now);
                await Task.Delay(next - now, TimeProvider.System, cancellationToken);
                await FireAsync(scheduled: true, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// The TimerInfo JSON as the real TimerListener builds it (<c>InvokeJobFunction</c>): the schedule's AdjustForDST,
    /// the status recorded before this firing only when the monitor runs, and IsPastDue, which the real host sets
    /// only for the catch-up firing at start that its persisted monitor asks for.
    /// </summary>
    internal static string TimerInfoJson(TimerSchedule schedule, TimerScheduleStatus? status, bool isPastDue) =>
        JsonSerializer.Serialize(new
        {
            Schedule = new { AdjustForDST = schedule.AdjustForDst },
            ScheduleStatus = status,
            IsPastDue = isPastDue,
        });

    private async Task FireAsync(bool scheduled, CancellationToken cancellationToken)
    {
        var invokedAt = DateTime.UtcNow;
        var json = TimerInfoJson(_schedule, _useMonitor ? _status : null, isPastDue: false);
        try
        {
            var response = await _supervisor.InvokeAsync(_function.Name, function =>
                InvocationFactory.Create(function, _function.Trigger.Name, new TypedData { Json = json }), cancellationToken);
            if (response.Result?.Status != StatusResult.Types.Status.Success)
            {
                LogFailed(_logger, _function.Name, response.Result?.Exception?.Message ?? "no details");
            }
        }
        catch (WorkerUnavailableException exception)
        {
            LogFailed(_logger, _function.Name, exception.Message);
        }
        finally
        {
            _status = _status.After(_schedule, invokedAt, scheduled);
        }
    }

    [LoggerMessage(EventId = 60, Level = LogLevel.Error, Message = "Timer function {FunctionName} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string functionName, string reason);
}

/// <summary>The real host's ScheduleStatus (azure-webjobs-sdk-extensions <c>ScheduleStatus</c>), kept in memory.</summary>
internal sealed record TimerScheduleStatus(DateTime Last, DateTime Next, DateTime LastUpdated)
{
    /// <summary>A first start with an empty monitor store (TimerListener <c>StartAsync</c>): no last run yet.</summary>
    public static TimerScheduleStatus Initial(TimerSchedule schedule, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return new(default, schedule.Next(now), default);
    }

    /// <summary>
    /// The status after a firing (TimerListener <c>InvokeJobFunction</c>): a scheduled firing that came a little early
    /// counts from the occurrence it was for, so the same occurrence is never next twice.
    /// </summary>
    public TimerScheduleStatus After(TimerSchedule schedule, DateTime invokedAt, bool scheduled)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var adjusted = scheduled && Next > invokedAt ? Next : invokedAt;
        return new TimerScheduleStatus(adjusted, schedule.Next(adjusted), adjusted);
    }
}
