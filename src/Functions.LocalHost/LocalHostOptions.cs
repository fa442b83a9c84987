using Microsoft.Extensions.Logging;

namespace Functions.LocalHost;

/// <summary>What <see cref="LocalFunctionsHost"/> runs and how.</summary>
public sealed record LocalHostOptions
{
    /// <summary>The app's build output folder: the one holding the app's dll, worker.config.json and host.json.</summary>
    public required string AppDirectory { get; init; }

    /// <summary>
    /// Settings that become the worker's environment and resolve <c>%Setting%</c> expressions and connections. They
    /// override both <c>local.settings.json</c> and the environment of this process.
    /// </summary>
    public IDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// A local.settings.json whose <c>Values</c> are read as Core Tools does (variables already in the environment win).
    /// Null: <c>local.settings.json</c> in <see cref="AppDirectory"/> when it exists.
    /// </summary>
    public string? LocalSettingsPath { get; init; }

    /// <summary>The loopback port HTTP triggers listen on; 0 picks a free one.</summary>
    public int HttpPort { get; init; }

    /// <summary>Request bodies larger than this get 413 before reaching the worker (the real host's default: 100 MB).</summary>
    public long MaxRequestBodyBytes { get; init; } = 100 * 1024 * 1024;

    /// <summary>How long the worker gets to stop after WorkerTerminate before it is killed.</summary>
    public TimeSpan ShutdownGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long starting the worker (process start, handshake, indexing, loading) may take.</summary>
    public TimeSpan WorkerStartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a dequeued message stays invisible while its invocation runs; renewed at half this interval. The real
    /// host uses 10 minutes; tests shorten it to prove the renewal.
    /// </summary>
    public TimeSpan QueueMessageLease { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Overrides host.json <c>functionTimeout</c> (tests shorten it). An invocation that outlives it fails and its worker
    /// is restarted, as the real host does.
    /// </summary>
    public TimeSpan? FunctionTimeout { get; init; }

    /// <summary>
    /// The least time between two worker restarts (the real host's ProcessRestartInterval: 10 s). The first restart
    /// after a quiet period is immediate.
    /// </summary>
    public TimeSpan WorkerRestartInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After this many worker deaths, each within <see cref="WorkerErrorWindow"/> of the previous one, the host gives up
    /// instead of restarting (the real host: 3 per worker process, 30 minutes, then it shuts down).
    /// </summary>
    public int WorkerErrorLimit { get; init; } = 3;

    /// <summary>A death more than this long after the previous one starts the count of <see cref="WorkerErrorLimit"/> afresh.</summary>
    public TimeSpan WorkerErrorWindow { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Where host and worker logs go. Null: the console.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
