using Functions.LocalHost.Configuration;
using Functions.LocalHost.Grpc;
using Functions.LocalHost.Grpc.Messages;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.Worker;

/// <summary>
/// Keeps one worker running: starts it, hands it to invocations, and when it dies fails what was in flight (the
/// connection does that), logs it and starts a new one, as the real RpcFunctionInvocationDispatcher does: restarts at
/// least the restart interval apart, and after the error limit within the window no restart at all (the real host
/// shuts down). An invocation that outlives functionTimeout fails and its worker is restarted.
/// Invocations that arrive during a restart wait for the new worker.
/// </summary>
internal sealed partial class WorkerSupervisor(
    WorkerLaunch launch,
    AppSettings settings,
    Uri grpcUri,
    WorkerConnectionRegistry registry,
    WorkerLogForwarder logs,
    TimeSpan startTimeout,
    WorkerRestartPolicy restartPolicy,
    TimeSpan? functionTimeout,
    ILogger logger) : IDisposable
{
    private static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _stopping = new();
    private WorkerUnavailableException? _gaveUp;
    private readonly Lock _gate = new();
    private TaskCompletionSource<WorkerInstance> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WorkerInstance? _current;

    public WorkerInstance? Current => _current;

    public int PendingInvocations => _current?.Connection.PendingInvocations ?? 0;

    /// <summary>Starts the first worker; its failure (including a binding this host refuses) fails the host's start.</summary>
    public async Task<WorkerInstance> StartAsync(CancellationToken cancellationToken)
    {
        var instance = await WorkerInstance.StartAsync(launch, settings, grpcUri, registry, logs, startTimeout, logger, cancellationToken);
        Publish(instance);
        return instance;
    }

    /// <summary>A live worker, waiting for a restart to finish if the current one just died.</summary>
    public async Task<WorkerInstance> GetLiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<WorkerInstance> ready;
            lock (_gate)
            {
                ready = _ready.Task;
            }

            var instance = await ready.WaitAsync(cancellationToken);
            if (_gaveUp is { } gaveUp)
            {
                throw gaveUp;
            }

            if (instance.IsAlive || _stopping.IsCancellationRequested)
            {
                return instance;
            }

            await instance.Retired.WaitAsync(cancellationToken);
        }
    }

    public async Task<InvocationResponse> InvokeAsync(string functionName, Func<FunctionDescriptor, InvocationRequest> createRequest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(createRequest);
        var instance = await GetLiveAsync(cancellationToken);
        if (!instance.Functions.TryGetValue(functionName, out var function))
        {
            throw new WorkerUnavailableException($"The worker (process {instance.ProcessId}) did not load function '{functionName}'.");
        }

        var request = createRequest(function);
        var invocation = instance.Connection.InvokeAsync(request, cancellationToken);
        if (functionTimeout is not { } limit)
        {
            return await invocation;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var expired = await Task.WhenAny(invocation, Task.Delay(limit, timer.Token)) != invocation;
        await timer.CancelAsync();
        if (expired && !_stopping.IsCancellationRequested)
        {
            // The real host fails the invocation with a timeout and restarts the worker that was running it.
            LogFunctionTimeout(logger, functionName, request.InvocationId, limit.TotalSeconds, instance.ProcessId);
            instance.MarkTimedOut();
            instance.Kill();
        }

        return await invocation;
    }

    /// <summary>Kills the current worker (crash tests) and returns once the exit has been observed.</summary>
    public async Task KillAsync()
    {
        var instance = _current ?? throw new InvalidOperationException("No worker is running.");
        instance.Kill();
        await instance.Exited;
    }

    public async Task<WorkerExit?> StopAsync(TimeSpan gracePeriod)
    {
        await _stopping.CancelAsync();
        var instance = _current;
        return instance is null ? null : await instance.TerminateAsync(gracePeriod);
    }

    public void Dispose() => _stopping.Dispose();

    private void Publish(WorkerInstance instance)
    {
        lock (_gate)
        {
            _current = instance;
            _ready.TrySetResult(instance);
        }

        _ = WatchAsync(instance);
    }

    private async Task WatchAsync(WorkerInstance instance)
    {
        await Task.WhenAny(instance.Exited, instance.Connection.Closed);
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        // New invocations wait for the next worker from here on; the ones in flight fail with the connection.
        lock (_gate)
        {
            _ready = new TaskCompletionSource<WorkerInstance>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        instance.Kill();
        await instance.Exited;
        instance.Connection.Fail(new WorkerUnavailableException($"The worker process {instance.ProcessId} exited."));
        if (!instance.TimedOut && restartPolicy.RecordDeath() is { } exceeded)
        {
            // The real host stops itself here; this one stops serving: every later invocation fails at once.
            LogGaveUp(logger, instance.ProcessId, exceeded.Deaths, exceeded.Window.TotalMinutes);
            lock (_gate)
            {
                _gaveUp = new WorkerUnavailableException(
                    $"The worker died {exceeded.Deaths} times within {exceeded.Window.TotalMinutes:0.##} minutes of each other; " +
                    "the host stopped restarting it. Fix the cause in the log above and start the host again.");
                _ready.TrySetResult(instance);
            }

            instance.Retire();
            return;
        }

        instance.Retire();
        LogWorkerDied(logger, instance.ProcessId, WorkerInstance.ExitCode(instance.Process));
        await RestartAsync();
    }

    private async Task RestartAsync()
    {
        var delay = TimeSpan.Zero;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _stopping.Token);
                }

                var wait = restartPolicy.WaitBeforeRestart();
                if (wait > TimeSpan.Zero)
                {
                    LogRestartDelayed(logger, wait.TotalMilliseconds);
                    await Task.Delay(wait, _stopping.Token);
                }


                var instance = await WorkerInstance.StartAsync(launch, settings, grpcUri, registry, logs, startTimeout, logger, _stopping.Token);
                LogRestarted(logger, instance.ProcessId);
                restartPolicy.RecordRestart();
                Publish(instance);
                return;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Whatever went wrong, keep trying: giving up would leave every later request waiting for nothing.
                delay = delay == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRestartDelay.Ticks));
                LogRestartFailed(logger, exception, delay.TotalSeconds);
            }
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "The worker process {ProcessId} died (exit code {ExitCode}); its in-flight invocations failed. Restarting it.")]
    private static partial void LogWorkerDied(ILogger logger, int processId, int? exitCode);

    [LoggerMessage(EventId = 33, Level = LogLevel.Critical, Message = "The worker process {ProcessId} died, the {Deaths}th death each within {WindowMinutes} minutes of the previous: no more restarts (the real host shuts down here).")]
    private static partial void LogGaveUp(ILogger logger, int processId, int deaths, double windowMinutes);

    [LoggerMessage(EventId = 34, Level = LogLevel.Error, Message = "Function {FunctionName} (invocation {InvocationId}) exceeded functionTimeout of {TimeoutSeconds} s; restarting worker process {ProcessId}.")]
    private static partial void LogFunctionTimeout(ILogger logger, string functionName, string invocationId, double timeoutSeconds, int processId);

    [LoggerMessage(EventId = 35, Level = LogLevel.Information, Message = "Waiting {DelayMilliseconds:0} ms before restarting the worker (restart interval).")]
    private static partial void LogRestartDelayed(ILogger logger, double delayMilliseconds);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "Worker restarted as process {ProcessId}.")]
    private static partial void LogRestarted(ILogger logger, int processId);

    [LoggerMessage(EventId = 32, Level = LogLevel.Error, Message = "Restarting the worker failed; next attempt in {DelaySeconds} s.")]
    private static partial void LogRestartFailed(ILogger logger, Exception exception, double delaySeconds);
}
