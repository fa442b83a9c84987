using System.Net;
using System.Text.Json;
using Payments.Functions.Http;
using Payments.Functions.Http.Operations;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Method semantics on every route of the running app: HEAD mirrors GET without a body, OPTIONS lists what is allowed.</summary>
public sealed class HttpMethodTests(PaymentsAppFixture fixture) : IClassFixture<PaymentsAppFixture>
{
    private static readonly string[] IgnoredHeaders = ["Date", "Content-Length", "Transfer-Encoding"];

    private PaymentsApp App => fixture.App;

    [Fact]
    public async Task Head_WhenSentToEveryGetRoute_ShouldAnswerGetsStatusAndHeadersWithoutABody()
    {
        var paths = await ConcretePathsAsync();
        var token = fixture.Settings.Token();
        var getRoutes = ApiRoutes.Allowed.Where(route => route.Value.Contains("GET")).Select(route => route.Key).ToList();

        foreach (var template in getRoutes)
        {
            Assert.Contains("HEAD", ApiRoutes.Allowed[template]);
            using var get = await App.SendAsync(HttpMethod.Get, paths[template], token);
            using var head = await App.SendAsync(HttpMethod.Head, paths[template], token);

            Assert.True(get.StatusCode == head.StatusCode, $"{template}: GET {(int)get.StatusCode}, HEAD {(int)head.StatusCode}");
            Assert.Equal(Headers(get), Headers(head));
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
            Assert.NotEmpty(await get.Content.ReadAsByteArrayAsync());
        }

        Assert.Equal(5, getRoutes.Count);
    }

    [Fact]
    public async Task Options_WhenSentToEveryRoute_ShouldAnswer204WithTheAllowedMethods()
    {
        var paths = await ConcretePathsAsync();

        foreach (var (template, methods) in ApiRoutes.Allowed)
        {
            // No token: preflight-style discovery needs none.
            using var response = await App.SendAsync(HttpMethod.Options, paths[template]);

            Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"OPTIONS {template}: {(int)response.StatusCode}");
            Assert.Equal(methods.Order(StringComparer.Ordinal), response.Content.Headers.Allow.Order(StringComparer.Ordinal));
            Assert.Contains("OPTIONS", methods);
        }
    }

    [Fact]
    public async Task Options_WhenThePathIsNoRoute_ShouldAnswer404Problem()
    {
        using var response = await App.SendAsync(HttpMethod.Options, "api/v1/nothing-here");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("GET", "api/v2/payments")]
    [InlineData("POST", "api/nothing-here")]
    [InlineData("DELETE", "api/v1/payments/x/y")]
    public async Task Send_WhenThePathIsNoRoute_ShouldAnswer404Problem(string method, string path)
    {
        using var response = await App.SendAsync(new HttpMethod(method), path, fixture.Settings.Token());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Send_WhenTheMethodIsNotAllowedOnAKnownRoute_ShouldAnswer405ProblemWithAllow()
    {
        var paths = await ConcretePathsAsync();
        string[] methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
        foreach (var (template, allowed) in ApiRoutes.Allowed)
        {
            foreach (var method in methods.Where(method => !allowed.Contains(method)))
            {
                using var response = await App.SendAsync(new HttpMethod(method), paths[template], fixture.Settings.Token());

                Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"{method} {template}: {(int)response.StatusCode}");
                Assert.Equal(allowed.Order(StringComparer.Ordinal), response.Content.Headers.Allow.Order(StringComparer.Ordinal));
                if (method != "HEAD")
                {
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                }
            }
        }
    }

    [Fact]
    public async Task OpenApiDocument_WhenFetchedAnonymously_ShouldServeTheDocumentPubliclyCacheable()
    {
        using var response = await App.SendAsync(HttpMethod.Get, "api/v1/openapi.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl is { Public: true, MaxAge.TotalSeconds: 3600, Private: false, NoCache: false },
            $"Cache-Control was '{response.Headers.CacheControl}'");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(OpenApiDocument.Bytes.ToArray(), body);
        using var document = JsonDocument.Parse(body);
        Assert.StartsWith("3.1", document.RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
    }

    /// <summary>A real path for every route template: ids of a payment and a customer that exist.</summary>
    private async Task<Dictionary<string, string>> ConcretePathsAsync()
    {
        var token = fixture.Settings.Token();
        var paymentId = await App.CreatePaymentAsync(token);
        // Settled first: a payment still changing would answer GET and HEAD with different ETags.
        await App.WaitForTerminalAsync(token, paymentId);
        using var customer = await App.SendAsync(HttpMethod.Post, "api/v1/customers", token,
            $$"""{"email":"m-{{Guid.NewGuid():N}}@example.com","name":"Ada"}""", "e2e-" + Guid.NewGuid());
        Assert.Equal(HttpStatusCode.Created, customer.StatusCode);
        var customerPath = customer.Headers.Location!.OriginalString.TrimStart('/');

        var paths = ApiRoutes.Allowed.Keys.ToDictionary(template => template, template => template switch
        {
            "v1/payments/{id}" => "api/v1/payments/" + paymentId,
            "v1/customers/{id}" => customerPath,
            _ => "api/" + template,
        }, StringComparer.Ordinal);
        Assert.DoesNotContain(paths.Values, path => path.Contains('{', StringComparison.Ordinal));
        return paths;
    }

    private static List<string> Headers(HttpResponseMessage response) =>
        [.. response.Headers.Concat(response.Content.Headers)
            .Where(header => !IgnoredHeaders.Contains(header.Key, StringComparer.OrdinalIgnoreCase))
            .Select(header => $"{header.Key}: {string.Join(",", header.Value)}")
            .Order(StringComparer.Ordinal)];
}
