using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Payments.Core.Auth;

/// <summary>
/// The only state authentication keeps between calls: the issuer's public keys. Keys are fetched on first use and
/// again after <see cref="JwtOptions.KeyRefreshInterval"/>; a token naming an unknown key may cause one early fetch,
/// at most once per <see cref="JwtOptions.UnknownKeyRefreshInterval"/>. Concurrent callers share one fetch. A fetched
/// set replaces the previous one entirely; a failed fetch, or one that yields no usable key, keeps the last good keys,
/// but only until they are <see cref="JwtOptions.MaxKeyStaleness"/> old: then no key is trusted (the API answers 503)
/// until a fetch succeeds, so an issuer's revocation takes effect even while its key endpoint is unreachable.
/// </summary>
public sealed partial class SigningKeyCache
{
    /// <summary>A fetch is shared by every waiting request, so it has its own time limit rather than any caller's.</summary>
    public static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(10);

    private readonly ISigningKeySource source;
    private readonly TimeProvider time;
    private readonly ILogger<SigningKeyCache> logger;
    private readonly TimeSpan refreshInterval;
    private readonly TimeSpan minimumInterval;
    private readonly TimeSpan maxStaleness;
    private readonly Lock gate = new();

    private volatile SigningKeySet? current;
    private Task<SigningKeySet?>? inFlight;
    private DateTimeOffset lastAttempt = DateTimeOffset.MinValue;
    private long fetchCount;

    public SigningKeyCache(ISigningKeySource source, IOptions<JwtOptions> options, TimeProvider time, ILogger<SigningKeyCache> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.source = source;
        this.time = time;
        this.logger = logger;
        refreshInterval = options.Value.KeyRefreshInterval;
        minimumInterval = options.Value.UnknownKeyRefreshInterval;
        maxStaleness = options.Value.MaxKeyStaleness;
    }

    /// <summary>How many times the source was asked for keys (for tests and diagnostics).</summary>
    public long FetchCount => Interlocked.Read(ref fetchCount);

    /// <summary>The current keys, fetched first when there are none yet or they are older than the refresh interval.</summary>
    public ValueTask<SigningKeySet?> GetAsync(CancellationToken cancellationToken)
    {
        var keys = current;
        if (keys is not null && time.GetUtcNow() - keys.FetchedAt < refreshInterval)
        {
            return ValueTask.FromResult<SigningKeySet?>(keys);
        }

        return new ValueTask<SigningKeySet?>(StartOrJoinFetch().WaitAsync(cancellationToken));
    }

    /// <summary>
    /// Called when a token names a key that is not in the cache: fetches again unless a fetch started less than the
    /// minimum interval ago, and returns the keys to verify the same token against.
    /// </summary>
    public async Task<SigningKeySet?> RefreshForUnknownKeyAsync(CancellationToken cancellationToken)
    {
        return await StartOrJoinFetch().WaitAsync(cancellationToken);
    }

    private Task<SigningKeySet?> StartOrJoinFetch()
    {
        lock (gate)
        {
            if (inFlight is { IsCompleted: false })
            {
                return inFlight;
            }

            var now = time.GetUtcNow();
            if (now - lastAttempt < minimumInterval)
            {
                LogRefreshSuppressed(logger, source.Description, (int)minimumInterval.TotalSeconds);
                return Task.FromResult(UsableCurrent());
            }

            lastAttempt = now;
            Interlocked.Increment(ref fetchCount);
            // Run off the lock: a source that completes synchronously must not publish keys while the gate is held.
            inFlight = Task.Run(FetchAsync);
            return inFlight;
        }
    }

    private async Task<SigningKeySet?> FetchAsync()
    {
        using var timeout = new CancellationTokenSource(FetchTimeout);
        try
        {
            var fetched = await source.FetchAsync(timeout.Token);
            var keys = SigningKeySet.Create(fetched, time.GetUtcNow());
            if (keys.IgnoredKeyCount > 0)
            {
                LogKeysIgnored(logger, keys.IgnoredKeyCount, source.Description);
            }

            if (keys.Keys.Count == 0)
            {
                LogFetchFailed(logger, source.Description, "the key set holds no asymmetric signing key", null);
                RecordRefresh("failed");
                return UsableCurrent();
            }

            current = keys;
            LogKeysLoaded(logger, keys.Keys.Count, source.Description);
            RecordRefresh("loaded");
            return keys;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or UnauthorizedAccessException or OperationCanceledException
            or ArgumentException or InvalidOperationException or System.Text.Json.JsonException
            or Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectProtocolException)
        {
            // ArgumentException: the document is not a key set; InvalidOperationException: the discovery document is unusable.
            LogFetchFailed(logger, source.Description, ex.GetType().Name + ": " + ex.Message, ex);
            RecordRefresh("failed");
            return UsableCurrent();
        }
    }

    private static void RecordRefresh(string outcome) =>
        Telemetry.PaymentsTelemetry.KeyRefreshes.Add(1, new KeyValuePair<string, object?>(Telemetry.PaymentsTelemetry.Attributes.Outcome, outcome));

    /// <summary>The last good keys while they are younger than the maximum staleness; null (fail closed) after that.</summary>
    private SigningKeySet? UsableCurrent()
    {
        var keys = current;
        if (keys is null || time.GetUtcNow() - keys.FetchedAt < maxStaleness)
        {
            return keys;
        }

        LogKeysStale(logger, source.Description, keys.FetchedAt, maxStaleness);
        return null;
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Loaded {KeyCount} signing keys from {KeySource}")]
    private static partial void LogKeysLoaded(ILogger logger, int keyCount, string keySource);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Ignored {IgnoredCount} keys from {KeySource} that are not asymmetric signing keys")]
    private static partial void LogKeysIgnored(ILogger logger, int ignoredCount, string keySource);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "Could not load signing keys from {KeySource}: {Problem}. The previous keys, if any, stay in use until they are stale")]
    private static partial void LogFetchFailed(ILogger logger, string keySource, string problem, Exception? exception);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Error, Message = "The signing keys from {KeySource} were last fetched at {FetchedAt}, more than {MaxStaleness} ago, and no fetch has succeeded since: no token is accepted until one does")]
    private static partial void LogKeysStale(ILogger logger, string keySource, DateTimeOffset fetchedAt, TimeSpan maxStaleness);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Debug, Message = "Key refresh from {KeySource} skipped: the last one started less than {MinimumIntervalSeconds} s ago")]
    private static partial void LogRefreshSuppressed(ILogger logger, string keySource, int minimumIntervalSeconds);
}
