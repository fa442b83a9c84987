using System.Net;
using System.Net.Http.Headers;
using Functions.LocalHost.Tests.Infrastructure;

namespace Functions.LocalHost.Tests.Http;

[Collection(SampleAppCollection.Name)]
public sealed class HttpRoundTripTests(SampleAppHost app)
{
    [Fact]
    public async Task Post_WhenBodyIsBinary_ShouldReachTheWorkerAndComeBackByteForByte()
    {
        var bytes = new byte[70_000];
        new Random(42).NextBytes(bytes);
        bytes[0] = 0;
        bytes[1] = 0xFF;
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        using var response = await app.Client.PostAsync("api/echo", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("POST", Header(response, "X-Echo-Method"));
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Put_WhenHeadersAndQueryAreSent_ShouldReachTheWorkerAsSent()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "api/echo?b=x&a=1&b=y");
        request.Headers.Add("X-Custom", "hello world");
        request.Content = new StringContent("{\"amount\":12}", System.Text.Encoding.UTF8, "application/json");

        using var response = await app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("PUT", Header(response, "X-Echo-Method"));
        Assert.Equal("hello world", Header(response, "X-Echo-Custom"));
        Assert.Equal("a=1&b=x,y", Header(response, "X-Echo-Query"));
        Assert.Equal(new Uri(app.Host.BaseUrl, "api/echo?b=x&a=1&b=y"), new Uri(Header(response, "X-Echo-Url")));
        Assert.Equal("{\"amount\":12}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_WhenRequestCarriesATraceParent_ShouldPassAChildOfItAndItsTraceStateToTheWorker()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/echo");
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        request.Headers.Add("tracestate", "congo=t61rcWkgMzE");

        using var response = await app.Client.SendAsync(request);

        // As the real host: its request activity is a child of the header (same trace and flags, a new span id).
        var parts = Header(response, "X-Echo-TraceParent").Split('-');
        Assert.Equal(["00", "0af7651916cd43dd8448eb211c80319c"], parts[..2]);
        Assert.Matches("^[0-9a-f]{16}$", parts[2]);
        Assert.NotEqual("b7ad6b7169203331", parts[2]);
        Assert.Equal("01", parts[3]);
        Assert.Equal("congo=t61rcWkgMzE", Header(response, "X-Echo-TraceState"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("not a traceparent")]
    public async Task Get_WhenRequestHasNoValidTraceParent_ShouldStartANewTraceForTheInvocation(string? traceParent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/echo");
        if (traceParent is not null)
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceParent);
        }

        using var first = await app.Client.SendAsync(request);
        using var second = await app.Client.GetAsync("api/echo");

        var ids = new[] { Header(first, "X-Echo-TraceParent"), Header(second, "X-Echo-TraceParent") };
        Assert.All(ids, id => Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$", id));
        Assert.DoesNotContain("00000000000000000000000000000000", ids[0], StringComparison.Ordinal);
        Assert.NotEqual(ids[0].Split('-')[1], ids[1].Split('-')[1]);
    }

    [Fact]
    public async Task Get_WhenFunctionSetsMultiValuedHeadersAndCookies_ShouldReturnThemAll()
    {
        using var response = await app.Client.GetAsync("api/multi-headers");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        // The worker sends a multi-valued header as one comma-joined value, as the real host receives it.
        Assert.Equal("first,second", Header(response, "X-Multi"));
        var cookies = response.Headers.GetValues("Set-Cookie").ToList();
        Assert.Equal(2, cookies.Count);
        Assert.Contains(cookies, cookie => cookie.StartsWith("session=abc", StringComparison.Ordinal));
        Assert.Contains(cookies, cookie => cookie.StartsWith("theme=dark", StringComparison.Ordinal) &&
                                           cookie.Contains("path=/", StringComparison.Ordinal) &&
                                           cookie.Contains("httponly", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_WhenBodyExceedsTheLimit_ShouldReturn413()
    {
        using var content = new ByteArrayContent(new byte[SampleAppHost.MaxRequestBodyBytes + 1]);

        using var response = await app.Client.PostAsync("api/echo", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Post_WhenBodyIsChunkedWithoutContentLength_ShouldReachTheWorkerWithAnEmptyBody()
    {
        using var stream = new MemoryStream("chunked body"u8.ToArray());
        using var content = new StreamContent(stream);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/echo") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("api/ping")]
    [InlineData("api/nothing-here")]
    public async Task Get_WhenHostJsonHasCustomHeaders_ShouldAddThemToEveryResponse(string path)
    {
        using var response = await app.Client.GetAsync(path);

        Assert.Equal("custom", Header(response, "X-Sample-Host"));
    }

    [Fact]
    public async Task Post_WhenBodyIsExactlyTheLimit_ShouldReachTheWorker()
    {
        using var content = new ByteArrayContent(new byte[SampleAppHost.MaxRequestBodyBytes]);

        using var response = await app.Client.PostAsync("api/echo", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(SampleAppHost.MaxRequestBodyBytes, (await response.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task Get_WhenFunctionThrows_ShouldReturn500WithEmptyBodyAndLogTheFailure()
    {
        using var response = await app.Client.GetAsync("api/throws");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Contains(app.Logs.GetSnapshot(), entry => entry.Message.Contains("Function Throws failed", StringComparison.Ordinal));
    }

    private static string Header(HttpResponseMessage response, string name) =>
        string.Join(",", response.Headers.TryGetValues(name, out var values) ? values : response.Content.Headers.GetValues(name));
}
