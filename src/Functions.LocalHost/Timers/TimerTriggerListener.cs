using System.Text.Json;
using Functions.LocalHost.Configuration;
using Functions.LocalHost.Grpc;
using Functions.LocalHost.Grpc.Messages;
using Functions.LocalHost.Worker;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.Timers;

/// <summary>
/// Fires one timer function on its schedule, one invocation at a time (the real host holds a singleton lock per
/// timer), with the TimerInfo payload the real host sends; runOnStartup fires once at start.
/// </summary>
internal sealed partial class TimerTriggerListener : IAsyncDisposable
{
    private readonly FunctionDescriptor _function;
    private readonly WorkerSupervisor _supervisor;
    private readonly TimerSchedule _schedule;
    private readonly bool _runOnStartup;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private DateTime? _last;

    private TimerTriggerListener(FunctionDescriptor function, WorkerSupervisor supervisor, TimerSchedule schedule, bool runOnStartup, ILogger logger)
    {
        _function = function;
        _supervisor = supervisor;
        _schedule = schedule;
        _runOnStartup = runOnStartup;
        _logger = logger;
    }

    public static TimerTriggerListener Create(FunctionDescriptor function, WorkerSupervisor supervisor, AppSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(settings);
        var context = $"Function '{function.Name}', binding '{function.Trigger.Name}' (timerTrigger)";
        var expression = settings.Resolve(
            function.Trigger.GetString("schedule") ?? throw new InvalidOperationException($"{context} has no schedule."),
            context);
        return new TimerTriggerListener(function, supervisor, TimerSchedule.Parse(expression, context), function.Trigger.GetBool("runOnStartup"), logger);
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
                await FireAsync(isPastDue: false, cancellationToken);
            }

            while (!cancellationToken.IsCancellationRequested)
            {
                var now = DateTime.UtcNow;
                var next = _schedule.Next(now);
                await Task.Delay(next - now, TimeProvider.System, cancellationToken);
                await FireAsync(isPastDue: DateTime.UtcNow - next > TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task FireAsync(bool isPastDue, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var info = new
        {
            Schedule = new { AdjustForDST = true },
            ScheduleStatus = new { Last = _last ?? DateTime.MinValue, Next = _schedule.Next(now), LastUpdated = now },
            IsPastDue = isPastDue,
        };
        _last = now;
        try
        {
            var response = await _supervisor.InvokeAsync(_function.Name, function =>
                InvocationFactory.Create(function, _function.Trigger.Name, new TypedData { Json = JsonSerializer.Serialize(info) }), cancellationToken);
            if (response.Result?.Status != StatusResult.Types.Status.Success)
            {
                LogFailed(_logger, _function.Name, response.Result?.Exception?.Message ?? "no details");
            }
        }
        catch (WorkerUnavailableException exception)
        {
            LogFailed(_logger, _function.Name, exception.Message);
        }
    }

    [LoggerMessage(EventId = 60, Level = LogLevel.Error, Message = "Timer function {FunctionName} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string functionName, string reason);
}
