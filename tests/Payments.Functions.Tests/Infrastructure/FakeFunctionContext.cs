using System.Collections;
using System.Collections.Immutable;
using System.Net;
using System.Security.Claims;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace Payments.Functions.Tests.Infrastructure;

/// <summary>
/// A stand-in for the worker's (internal) function context, until the local Functions host lands: the real
/// <c>GetHttpRequestDataAsync</c> extension reads the request from the public <see cref="IHttpRequestDataFeature"/>.
/// </summary>
public sealed class FakeFunctionContext : FunctionContext
{
    private readonly FakeFeatures features = new();

    public FakeFunctionContext(FunctionDefinition definition, IServiceProvider services)
    {
        FunctionDefinition = definition;
        InstanceServices = services;
    }

    public override string InvocationId { get; } = Guid.NewGuid().ToString();

    public override string FunctionId => FunctionDefinition.Id;

    public override TraceContext TraceContext { get; } = new FakeTraceContext();

    public override BindingContext BindingContext => throw new NotSupportedException();

    public override RetryContext RetryContext => throw new NotSupportedException();

    public override IServiceProvider InstanceServices { get; set; }

    public override FunctionDefinition FunctionDefinition { get; }

    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

    public override IInvocationFeatures Features => features;

    public override CancellationToken CancellationToken => CancellationToken.None;

    public FakeHttpRequestData UseRequest(string method, string? authorization, string path = "/api/payments")
    {
        var request = new FakeHttpRequestData(this, method, new Uri(new Uri("https://payments.test"), path));
        if (authorization is not null)
        {
            request.Headers.Add("Authorization", authorization);
        }

        features.Set<IHttpRequestDataFeature>(new RequestFeature(request));
        return request;
    }

    private sealed class RequestFeature(HttpRequestData request) : IHttpRequestDataFeature
    {
        public ValueTask<HttpRequestData?> GetHttpRequestDataAsync(FunctionContext context) => ValueTask.FromResult<HttpRequestData?>(request);
    }

    private sealed class FakeTraceContext : TraceContext
    {
        public override string TraceParent => "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        public override string TraceState => string.Empty;
    }

    private sealed class FakeFeatures : IInvocationFeatures
    {
        private readonly Dictionary<Type, object> items = [];

        public T? Get<T>() => items.TryGetValue(typeof(T), out var value) ? (T)value : default;

        public void Set<T>(T instance) => items[typeof(T)] = instance!;

        public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => items.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

public sealed class FakeFunctionDefinition(string name, string entryPoint, bool httpTrigger = true) : FunctionDefinition
{
    public override ImmutableArray<FunctionParameter> Parameters => [];

    public override string PathToAssembly => typeof(FakeFunctionDefinition).Assembly.Location;

    public override string EntryPoint => entryPoint;

    public override string Id { get; } = name + "-" + Guid.NewGuid().ToString("N");

    public override string Name => name;

    public override IImmutableDictionary<string, BindingMetadata> InputBindings { get; } = ImmutableDictionary<string, BindingMetadata>.Empty
        .Add("request", new FakeBinding("request", httpTrigger ? "httpTrigger" : "queueTrigger", BindingDirection.In));

    public override IImmutableDictionary<string, BindingMetadata> OutputBindings { get; } = ImmutableDictionary<string, BindingMetadata>.Empty
        .Add("$return", new FakeBinding("$return", "http", BindingDirection.Out));

    private sealed class FakeBinding(string name, string type, BindingDirection direction) : BindingMetadata
    {
        public override string Name => name;

        public override string Type => type;

        public override BindingDirection Direction => direction;
    }
}

public sealed class FakeHttpRequestData(FunctionContext context, string method, Uri url) : HttpRequestData(context)
{
    public override Stream Body { get; } = new MemoryStream();

    public override HttpHeadersCollection Headers { get; } = [];

    public override IReadOnlyCollection<IHttpCookie> Cookies { get; } = [];

    public override Uri Url => url;

    public override IEnumerable<ClaimsIdentity> Identities => [];

    public override string Method => method;

    public override HttpResponseData CreateResponse() => new FakeHttpResponseData(FunctionContext);
}

public sealed class FakeHttpResponseData(FunctionContext context) : HttpResponseData(context)
{
    public override HttpStatusCode StatusCode { get; set; } = HttpStatusCode.OK;

    public override HttpHeadersCollection Headers { get; set; } = [];

    public override Stream Body { get; set; } = new MemoryStream();

    public override HttpCookies Cookies => throw new NotSupportedException();

    public string ReadBody() => System.Text.Encoding.UTF8.GetString(((MemoryStream)Body).ToArray());
}
