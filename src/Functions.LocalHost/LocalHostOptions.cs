using Microsoft.Extensions.Logging;

namespace Functions.LocalHost;

/// <summary>What <see cref="LocalFunctionsHost"/> runs and how.</summary>
public sealed class LocalHostOptions
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

    /// <summary>Where host and worker logs go. Null: the console.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
