using System.Diagnostics;
using System.Net;
using Functions.LocalHost.Configuration;
using Functions.LocalHost.Grpc;
using Functions.LocalHost.Http;
using Functions.LocalHost.Queues;
using Functions.LocalHost.Timers;
using Functions.LocalHost.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost;

/// <summary>
/// A stand-in Azure Functions host for .NET isolated worker apps: it launches the compiled app's real worker, speaks
/// the host-to-worker gRPC protocol to it, and runs its HTTP, queue and timer triggers. For local runs and
/// end-to-end tests; it knows nothing about the app it runs.
/// </summary>
public sealed partial class LocalFunctionsHost : IAsyncDisposable
{
    private readonly WebApplication _grpc;
    private readonly WebApplication _http;
    private readonly WorkerSupervisor _supervisor;
    private readonly IReadOnlyList<IAsyncDisposable> _listeners;
    private readonly ILoggerFactory? _ownedLoggerFactory;
    private readonly ILogger _logger;
    private readonly TimeSpan _gracePeriod;
    private Task<WorkerExit?>? _stopped;

    private LocalFunctionsHost(
        WebApplication grpc,
        WebApplication http,
        WorkerSupervisor supervisor,
        IReadOnlyList<IAsyncDisposable> listeners,
        ILoggerFactory? ownedLoggerFactory,
        ILogger logger,
        TimeSpan gracePeriod,
        Uri baseUrl,
        IReadOnlyList<string> functionNames,
        TimeSpan startupTime)
    {
        _grpc = grpc;
        _http = http;
        _supervisor = supervisor;
        _listeners = listeners;
        _ownedLoggerFactory = ownedLoggerFactory;
        _logger = logger;
        _gracePeriod = gracePeriod;
        BaseUrl = baseUrl;
        FunctionNames = functionNames;
        StartupTime = startupTime;
    }

    /// <summary>Where HTTP triggers answer, e.g. http://127.0.0.1:7071/ (the route prefix is not included).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The functions the worker indexed and this host runs.</summary>
    public IReadOnlyList<string> FunctionNames { get; }

    /// <summary>From the call to <see cref="StartAsync"/> until every function was loaded and every listener started.</summary>
    public TimeSpan StartupTime { get; }

    /// <summary>Of <see cref="StartupTime"/>, the first worker's own part: from starting its process until it answered WorkerInitRequest.</summary>
    public TimeSpan WorkerStartToInitResponse { get; private init; }

    /// <summary>The current worker process (it changes when the worker is restarted).</summary>
    public int WorkerProcessId => _supervisor.Current?.ProcessId ?? 0;

    /// <summary>Invocations sent to the current worker and not yet answered.</summary>
    public int PendingInvocations => _supervisor.PendingInvocations;

    /// <summary>Starts the app's worker and the triggers; returns once HTTP requests can be served.</summary>
    public static async Task<LocalFunctionsHost> StartAsync(LocalHostOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var stopwatch = Stopwatch.StartNew();
        var ownedLoggerFactory = options.LoggerFactory is null ? CreateConsoleLoggerFactory() : null;
        var loggerFactory = options.LoggerFactory ?? ownedLoggerFactory!;
        var logger = loggerFactory.CreateLogger("Host.LocalFunctionsHost");

        var appDirectory = Path.GetFullPath(options.AppDirectory);
        var launch = WorkerLaunch.From(appDirectory);
        var localSettings = options.LocalSettingsPath ?? Path.Combine(appDirectory, "local.settings.json");
        var settings = AppSettings.Load(File.Exists(localSettings) ? localSettings : null, options.Settings);
        var hostJson = HostJson.Load(appDirectory);

        var registry = new WorkerConnectionRegistry();
        var grpc = BuildGrpcServer(registry, loggerFactory);
        WebApplication? http = null;
        WorkerSupervisor? supervisor = null;
        var listeners = new List<IAsyncDisposable>();
        try
        {
            await grpc.StartAsync(cancellationToken);
            var grpcUri = ListeningAddress(grpc);
            supervisor = new WorkerSupervisor(
                launch, settings, grpcUri, registry, new WorkerLogForwarder(loggerFactory), options.WorkerStartTimeout,
                new WorkerRestartPolicy(options.WorkerRestartInterval, options.WorkerErrorLimit, options.WorkerErrorWindow, TimeProvider.System),
                options.FunctionTimeout ?? hostJson.FunctionTimeout, logger);
            var worker = await supervisor.StartAsync(cancellationToken);

            var functions = InRealHostOrder(worker.Functions.Values);
            HttpTriggerEndpoints.Validate(functions);

            foreach (var function in functions)
            {
                switch (function.Kind)
                {
                    case TriggerKind.Queue:
                        listeners.Add(QueueTriggerListener.Create(
                            function, supervisor, settings, hostJson.Queues, options.QueueMessageLease, options.ShutdownGracePeriod,
                            loggerFactory.CreateLogger("Host.Queues")));
                        break;
                    case TriggerKind.Timer:
                        listeners.Add(TimerTriggerListener.Create(function, supervisor, settings, loggerFactory.CreateLogger("Host.Timers")));
                        break;
                    case TriggerKind.Http:
                    default:
                        break;
                }
            }

            var endpoints = new HttpTriggerEndpoints(
                supervisor, HttpTriggerEndpoints.BodyLimit(settings, options.MaxRequestBodyBytes), hostJson.CustomHeaders,
                loggerFactory.CreateLogger("Host.Http"));
            http = BuildHttpServer(options, loggerFactory);
            endpoints.Map(http, hostJson.RoutePrefix, functions);
            await http.StartAsync(cancellationToken);
            var baseUrl = ListeningAddress(http);

            foreach (var listener in listeners)
            {
                switch (listener)
                {
                    case QueueTriggerListener queue:
                        queue.Start();
                        break;
                    case TimerTriggerListener timer:
                        timer.Start();
                        break;
                    default:
                        break;
                }
            }

            stopwatch.Stop();
            LogReady(logger, functions.Count, stopwatch.Elapsed.TotalMilliseconds, baseUrl, worker.ProcessId);
            return new LocalFunctionsHost(
                grpc, http, supervisor, listeners, ownedLoggerFactory, logger, options.ShutdownGracePeriod, baseUrl,
                functions.Select(function => function.Name).ToList(), stopwatch.Elapsed)
            {
                WorkerStartToInitResponse = worker.StartToInitResponse,
            };
        }
        catch
        {
            foreach (var listener in listeners)
            {
                await listener.DisposeAsync();
            }

            if (supervisor is not null)
            {
                await supervisor.StopAsync(TimeSpan.FromSeconds(1));
                supervisor.Dispose();
            }

            if (http is not null)
            {
                await http.DisposeAsync();
            }

            await grpc.DisposeAsync();
            ownedLoggerFactory?.Dispose();
            throw;
        }
    }

    /// <summary>Kills the worker process, as a crash would: in-flight invocations fail, the host starts a new worker.</summary>
    public Task KillWorkerAsync() => _supervisor.KillAsync();

    /// <summary>Invokes a function on the worker directly over the gRPC channel, bypassing Kestrel (benchmarks).</summary>
    internal Task<Grpc.Messages.InvocationResponse> InvokeAsync(
        string functionName, Func<FunctionDescriptor, Grpc.Messages.InvocationRequest> createRequest, CancellationToken cancellationToken) =>
        _supervisor.InvokeAsync(functionName, createRequest, cancellationToken);

    /// <summary>Waits until a worker is running and loaded (after a crash, the restarted one).</summary>
    public async Task<int> WaitForWorkerAsync(CancellationToken cancellationToken) =>
        (await _supervisor.GetLiveAsync(cancellationToken)).ProcessId;

    /// <summary>
    /// Stops accepting requests and polling, lets what is in flight finish, sends WorkerTerminate and kills the worker
    /// if it has not exited after the grace period. Returns how the worker ended.
    /// </summary>
    public Task<WorkerExit?> StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_listeners)
        {
            _stopped ??= StopCoreAsync(cancellationToken);
        }

        return _stopped;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task<WorkerExit?> StopCoreAsync(CancellationToken cancellationToken)
    {
        LogStopping(_logger);
        await _http.StopAsync(cancellationToken);
        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync();
        }

        var exit = await _supervisor.StopAsync(_gracePeriod);
        await _grpc.StopAsync(cancellationToken);
        _supervisor.Dispose();
        await _http.DisposeAsync();
        await _grpc.DisposeAsync();
        if (exit is not null)
        {
            LogStopped(_logger, exit.ProcessId, exit.ExitCode, exit.Killed);
        }

        _ownedLoggerFactory?.Dispose();
        return exit;
    }

    private static ILoggerFactory CreateConsoleLoggerFactory() =>
        LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss.fff ";
            })
            .SetMinimumLevel(LogLevel.Information));

    private static WebApplication BuildGrpcServer(WorkerConnectionRegistry registry, ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            // The worker speaks gRPC over cleartext HTTP/2 (h2c), on loopback only.
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Limits.MaxRequestBodySize = null;
        });
        ForwardLogs(builder, loggerFactory);
        builder.Services.AddRouting();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = null;
            grpc.MaxSendMessageSize = null;
        });
        builder.Services.AddSingleton(registry);
        var app = builder.Build();
        app.MapGrpcService<FunctionRpcService>();
        return app;
    }

    private static WebApplication BuildHttpServer(LocalHostOptions options, ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.HttpPort, listen => listen.Protocols = HttpProtocols.Http1);
            // The body limit is enforced per request (413 before the worker sees anything); leaving Kestrel's own limit
            // off lets it drain an oversized body after the 413, so the client reads the answer instead of a reset.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.AddServerHeader = false;
        });
        builder.WebHost.UseShutdownTimeout(options.ShutdownGracePeriod);
        ForwardLogs(builder, loggerFactory);
        builder.Services.AddRouting();
        return builder.Build();
    }

    private static void ForwardLogs(WebApplicationBuilder builder, ILoggerFactory loggerFactory)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(loggerFactory));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
    }

    private static Uri ListeningAddress(WebApplication app)
    {
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.EndsWith('/') ? address : address + "/");
    }

    /// <summary>ASP.NET Core's own logs go to the same place as the host's.</summary>
    private sealed class ForwardingLoggerProvider(ILoggerFactory target) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => target.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// Functions in the order the real host keeps them, which is the order its HTTP routes are tried in: by name,
    /// ignoring case (azure-functions-host FunctionMetadataManager <c>LoadFunctionMetadata</c>, kept by ScriptHost
    /// <c>GetFunctionDescriptorsAsync</c> and WebScriptHostHttpRoutesManager <c>InitializeHttpFunctionRoutes</c>).
    /// </summary>
    internal static List<FunctionDescriptor> InRealHostOrder(IEnumerable<FunctionDescriptor> functions) =>
        functions.OrderBy(function => function.Name, StringComparer.OrdinalIgnoreCase).ToList();

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Host ready: {FunctionCount} functions in {ElapsedMilliseconds:0} ms, HTTP on {BaseUrl}, worker process {ProcessId}.")]
    private static partial void LogReady(ILogger logger, int functionCount, double elapsedMilliseconds, Uri baseUrl, int processId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Host stopping.")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Host stopped; worker process {ProcessId} exited with code {ExitCode} (killed after the grace period: {Killed}).")]
    private static partial void LogStopped(ILogger logger, int processId, int? exitCode, bool killed);
}
