using System.Diagnostics;
using Functions.LocalHost.Configuration;
using Functions.LocalHost.Grpc;
using Functions.LocalHost.Grpc.Messages;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.Worker;

/// <summary>One worker process and its event stream, from launch through handshake, indexing and loading.</summary>
internal sealed partial class WorkerInstance
{
    private const string HostVersion = "4.1000.0-localhost";
    private readonly TaskCompletionSource _retired = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerInstance(Process process, WorkerConnection connection, Task exited)
    {
        Process = process;
        Connection = connection;
        Exited = exited;
        ProcessId = process.Id;
    }

    public Process Process { get; }

    public int ProcessId { get; }

    public WorkerConnection Connection { get; }

    /// <summary>Completes when the process has exited.</summary>
    public Task Exited { get; }

    /// <summary>Completes once the supervisor no longer hands this instance out (it died and a restart is under way).</summary>
    public Task Retired => _retired.Task;

    public IReadOnlyDictionary<string, FunctionDescriptor> Functions { get; private set; } =
        new Dictionary<string, FunctionDescriptor>(StringComparer.Ordinal);

    public bool IsAlive => !Exited.IsCompleted && !Connection.Closed.IsCompleted;

    /// <summary>From starting the process until the worker answered WorkerInitRequest: the worker's own start (the benchmark's baseline for the host's).</summary>
    public TimeSpan StartToInitResponse { get; private set; }

    public void Retire() => _retired.TrySetResult();

    /// <summary>Set when the host killed this worker because an invocation outlived functionTimeout.</summary>
    public bool TimedOut { get; private set; }

    public void MarkTimedOut() => TimedOut = true;

    public static async Task<WorkerInstance> StartAsync(
        WorkerLaunch launch,
        AppSettings settings,
        Uri grpcUri,
        WorkerConnectionRegistry registry,
        WorkerLogForwarder logs,
        TimeSpan timeout,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var workerId = Guid.NewGuid().ToString();
        var connection = new WorkerConnection(workerId, logs);
        registry.Expect(connection);
        var process = new Process { StartInfo = launch.CreateStartInfo(grpcUri, workerId, settings.Values) };
        var starting = Stopwatch.GetTimestamp();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            registry.Forget(workerId);
            process.Dispose();
            throw new InvalidOperationException(
                $"Could not start the worker '{launch.Executable} {launch.WorkerPath}': {exception.Message}", exception);
        }

        var processId = process.Id;
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                logs.ConsoleLine(processId, line.Data, isError: false);
            }
        };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                logs.ConsoleLine(processId, line.Data, isError: true);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = WatchExitAsync(process, connection);
        var instance = new WorkerInstance(process, connection, exited);
        LogStarted(logger, processId, launch.WorkerPath);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await connection.Attached.WaitAsync(deadline.Token);
            await instance.InitializeAsync(launch, settings, starting, deadline.Token);
            return instance;
        }
        catch (Exception exception)
        {
            registry.Forget(workerId);
            instance.Kill();
            await exited.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"The worker (process {processId}) was not ready within {timeout.TotalSeconds:0} s. Its output is in the log above.",
                    exception);
            }

            if (exception is WorkerUnavailableException)
            {
                throw new InvalidOperationException(
                    $"The worker (process {processId}) exited during start-up (exit code {ExitCode(process)}). Its output is in the log above.",
                    exception);
            }

            throw;
        }
    }

    public void Kill()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>WorkerTerminate, then kill once the grace period is over. Returns the exit code and whether it was killed.</summary>
    public async Task<WorkerExit> TerminateAsync(TimeSpan gracePeriod)
    {
        var killed = false;
        if (!Exited.IsCompleted)
        {
            Connection.TrySend(new StreamingMessage
            {
                WorkerTerminate = new WorkerTerminate { GracePeriod = Duration.FromTimeSpan(gracePeriod) },
            });
            try
            {
                await Exited.WaitAsync(gracePeriod);
            }
            catch (TimeoutException)
            {
                killed = true;
                Kill();
                await Exited;
            }
        }

        return new WorkerExit(ProcessId, ExitCode(Process), killed);
    }

    internal static int? ExitCode(Process process)
    {
        try
        {
            return process.HasExited ? process.ExitCode : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task WatchExitAsync(Process process, WorkerConnection connection)
    {
        await process.WaitForExitAsync(CancellationToken.None);
        connection.Fail(new WorkerUnavailableException(
            $"The worker process {process.Id} exited with code {ExitCode(process)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}."));
    }

    private async Task InitializeAsync(WorkerLaunch launch, AppSettings settings, long starting, CancellationToken cancellationToken)
    {
        var init = await Connection.RequestAsync(new StreamingMessage
        {
            WorkerInitRequest = new WorkerInitRequest
            {
                HostVersion = HostVersion,
                WorkerDirectory = launch.AppDirectory,
                FunctionAppDirectory = launch.AppDirectory,
            },
        }, cancellationToken);
        StartToInitResponse = Stopwatch.GetElapsedTime(starting);
        EnsureSuccess(init.WorkerInitResponse?.Result, "WorkerInitRequest");

        var metadata = await Connection.RequestAsync(new StreamingMessage
        {
            FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = launch.AppDirectory },
        }, cancellationToken);
        var response = metadata.FunctionMetadataResponse
            ?? throw new InvalidOperationException($"The worker answered FunctionsMetadataRequest with {metadata.ContentCase}.");
        EnsureSuccess(response.Result, "FunctionsMetadataRequest");
        if (response.UseDefaultMetadataIndexing)
        {
            throw new InvalidOperationException(
                "The worker asked the host to index functions from functions.metadata (host indexing), which the local host " +
                "does not do. Use a worker with worker indexing (Microsoft.Azure.Functions.Worker 1.x+ and Worker.Sdk).");
        }

        var functions = response.FunctionMetadataResults
            .Where(function => !settings.IsDisabled(function.Name))
            .Select(FunctionDescriptor.From)
            .ToDictionary(function => function.Name, StringComparer.Ordinal);

        // One request per function: the worker ignores the collection form of FunctionLoadRequest.
        var loads = functions.Values.Select(async function =>
        {
            var loaded = await Connection.RequestAsync(new StreamingMessage
            {
                FunctionLoadRequest = new FunctionLoadRequest { FunctionId = function.FunctionId, Metadata = function.Metadata },
            }, cancellationToken);
            EnsureSuccess(loaded.FunctionLoadResponse?.Result, $"FunctionLoadRequest for '{function.Name}'");
        });
        await Task.WhenAll(loads);
        Functions = functions;
    }

    private static void EnsureSuccess(StatusResult? result, string step)
    {
        if (result is null)
        {
            throw new InvalidOperationException($"The worker's answer to {step} carried no result.");
        }

        if (result.Status != StatusResult.Types.Status.Success)
        {
            throw new InvalidOperationException(
                $"The worker failed {step}: {result.Exception?.Message ?? result.Result}{Environment.NewLine}{result.Exception?.StackTrace}");
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Started worker process {ProcessId} for {WorkerPath}.")]
    private static partial void LogStarted(ILogger logger, int processId, string workerPath);
}

/// <summary>How a worker process ended: its exit code (null if unknown) and whether it had to be killed.</summary>
public sealed record WorkerExit(int ProcessId, int? ExitCode, bool Killed);
