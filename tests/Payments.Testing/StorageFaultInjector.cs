using System.Diagnostics.CodeAnalysis;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Payments.Testing;

public enum StorageFaultKind
{
    /// <summary>The service answers 503 Server Busy.</summary>
    ServiceUnavailable,

    /// <summary>The connection breaks: the transport throws as it does on a network error.</summary>
    NetworkError,

    /// <summary>
    /// The service refuses the request with 400 PropertyValueTooLarge, as Table Storage refuses an entity over its limits:
    /// nothing is written (use it before sending). For proving that a refused write is a 4xx problem, never a 500.
    /// </summary>
    EntityTooLarge,
}

public enum StorageFaultTiming
{
    /// <summary>The request never reaches the service.</summary>
    BeforeSending,

    /// <summary>The service carried the request out, but its answer is lost: the write happened, the caller does not know.</summary>
    AfterSending,
}

/// <summary>
/// Fails chosen storage requests, to prove what the app does when storage misbehaves. In process it is a policy of the
/// storage clients' pipeline: it runs once per attempt, after the SDK's retry policy, so a fault meant to outlast the
/// retries must match every attempt (<c>times: null</c>). For the app's worker process, <see cref="StorageProxy.Faults"/>
/// applies the same rules on the wire.
/// </summary>
public sealed class StorageFaultInjector : HttpPipelinePolicy
{
    private readonly List<StorageFaultRule> _rules = [];

    /// <param name="match">Which requests fail, by HTTP method and URI path (what both a pipeline and a proxy see).</param>
    /// <param name="times">How many matching requests fail; null: every one until the rule is removed.</param>
    public StorageFaultRule Add(Func<string, string, bool> match, StorageFaultKind kind, StorageFaultTiming timing, int? times = null)
    {
        var rule = new StorageFaultRule(match, kind, timing, times);
        lock (_rules)
        {
            _rules.Add(rule);
        }

        return rule;
    }

    public StorageFaultRule Add(StorageOperation operation, StorageFaultKind kind, StorageFaultTiming timing, int? times = null) =>
        Add((method, path) => StorageOperations.Classify(method, path) == operation, kind, timing, times);

    public void Remove(StorageFaultRule rule)
    {
        lock (_rules)
        {
            _rules.Remove(rule);
        }
    }

    public void Clear()
    {
        lock (_rules)
        {
            _rules.Clear();
        }
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        var rule = Take(message.Request.Method.Method, message.Request.Uri.Path);
        if (rule is { Timing: StorageFaultTiming.BeforeSending })
        {
            Fail(message, rule);
            return;
        }

        ProcessNext(message, pipeline);
        if (rule is not null)
        {
            Fail(message, rule);
        }
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        var rule = Take(message.Request.Method.Method, message.Request.Uri.Path);
        if (rule is { Timing: StorageFaultTiming.BeforeSending })
        {
            Fail(message, rule);
            return;
        }

        await ProcessNextAsync(message, pipeline);
        if (rule is not null)
        {
            Fail(message, rule);
        }
    }

    /// <summary>The first rule that fires for this request, consuming one of its times; null when none does.</summary>
    public StorageFaultRule? Take(string httpMethod, string uriPath)
    {
        lock (_rules)
        {
            foreach (var rule in _rules)
            {
                if (rule.TryConsume(httpMethod, uriPath))
                {
                    return rule;
                }
            }
        }

        return null;
    }

    private static void Fail(HttpMessage message, StorageFaultRule rule)
    {
        if (rule.Kind == StorageFaultKind.NetworkError)
        {
            // The shape Azure.Core's HTTP transport gives a broken connection: status 0 around the socket error.
            throw new RequestFailedException(0, "Injected network fault: the connection was reset.", null,
                new HttpRequestException("Injected network fault: the connection was reset."));
        }

        if (message.HasResponse)
        {
            message.Response.Dispose();
        }

        message.Response = rule.Kind == StorageFaultKind.EntityTooLarge
            ? new SyntheticResponse(400, "Bad Request", EntityTooLargeError, message.Request.ClientRequestId)
            : new SyntheticResponse(503, "Server Busy", ServerBusyError, message.Request.ClientRequestId);
    }

    /// <summary>The status, error code and body a proxy answers for a fault that is an answer (not a broken connection).</summary>
    public static (int Status, string ErrorCode, byte[] Body) Answer(StorageFaultKind kind) => kind switch
    {
        StorageFaultKind.ServiceUnavailable => (503, "ServerBusy", ServerBusyError.Body),
        StorageFaultKind.EntityTooLarge => (400, "PropertyValueTooLarge", EntityTooLargeError.Body),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "A network error is a broken connection, not an answer."),
    };

    private static readonly ErrorDocument ServerBusyError = new("ServerBusy", "Injected fault: the server is busy.");

    private static readonly ErrorDocument EntityTooLargeError = new("PropertyValueTooLarge", "The property value exceeds the maximum allowed size (64KB).");

    private sealed class ErrorDocument(string code, string message)
    {
        public string Code { get; } = code;

        public byte[] Body { get; } = System.Text.Encoding.UTF8.GetBytes(
            "{\"odata.error\":{\"code\":\"" + code + "\",\"message\":{\"lang\":\"en-US\",\"value\":"
            + System.Text.Json.JsonSerializer.Serialize(message) + "}}}");
    }

    [SuppressMessage("Design", "CA1065", Justification = "Response is the SDK's abstract type.")]
    private sealed class SyntheticResponse(int status, string reason, ErrorDocument error, string clientRequestId) : Response
    {
        public override int Status => status;

        // The transport marks real responses; the retry policy only retries a response marked as an error.
        public override bool IsError => true;

        public override string ReasonPhrase => reason;

        public override Stream? ContentStream { get; set; } = new MemoryStream(error.Body, writable: false);

        public override string ClientRequestId { get; set; } = clientRequestId;

        public override void Dispose() => ContentStream?.Dispose();

        protected override bool ContainsHeader(string name) => TryGetHeader(name, out _);

        protected override IEnumerable<HttpHeader> EnumerateHeaders()
        {
            yield return new HttpHeader("Content-Type", "application/json");
            yield return new HttpHeader("x-ms-error-code", error.Code);
        }

        protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value)
        {
            value = EnumerateHeaders().FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
            return value is not null;
        }

        protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
        {
            values = TryGetHeader(name, out var value) ? [value] : null;
            return values is not null;
        }
    }
}

/// <summary>One way to fail: which requests, how, and how many times; <see cref="Hits"/> tells how often it fired.</summary>
public sealed class StorageFaultRule
{
    private readonly Func<string, string, bool> _match;
    private int? _remaining;
    private int _hits;

    internal StorageFaultRule(Func<string, string, bool> match, StorageFaultKind kind, StorageFaultTiming timing, int? times)
    {
        ArgumentNullException.ThrowIfNull(match);
        if (times is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(times), times, "A fault fires at least once; pass null to fire on every match.");
        }

        _match = match;
        _remaining = times;
        Kind = kind;
        Timing = timing;
    }

    public StorageFaultKind Kind { get; }

    public StorageFaultTiming Timing { get; }

    public int Hits => Volatile.Read(ref _hits);

    // Called under the injector's lock.
    internal bool TryConsume(string httpMethod, string uriPath)
    {
        if (_remaining == 0 || !_match(httpMethod, uriPath))
        {
            return false;
        }

        if (_remaining is int remaining)
        {
            _remaining = remaining - 1;
        }

        Interlocked.Increment(ref _hits);
        return true;
    }
}
