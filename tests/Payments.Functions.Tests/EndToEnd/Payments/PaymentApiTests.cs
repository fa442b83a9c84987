using System.Net;
using System.Text.Json;
using Idempotency.Tables;
using Payments.Core.Payments.Gateway;
using Payments.Core.Storage;
using Payments.Testing;

namespace Payments.Functions.Tests.EndToEnd.Payments;

/// <summary>The payments routes over HTTP: caching headers, ownership, unknown customers and the listing.</summary>
public sealed class PaymentApiTests(PaymentsAppFixture fixture) : IClassFixture<PaymentsAppFixture>
{
    private PaymentsApp App => fixture.App;

    private PaymentsAppSettings Settings => fixture.Settings;

    [Fact]
    public async Task GetPayment_WhenAskedAgainWithItsETag_ShouldAnswer304WithAStrongPrivateETag()
    {
        var token = Settings.Token();
        var id = await App.CreatePaymentAsync(token, SimulatedPaymentGateway.DecliningSource);
        await App.WaitForTerminalAsync(token, id);

        using var first = await App.SendAsync(HttpMethod.Get, "api/v1/payments/" + id, token);
        var etag = first.Headers.ETag;
        using var conditional = PaymentsApp.Request(HttpMethod.Get, "api/v1/payments/" + id, token);
        conditional.Headers.TryAddWithoutValidation("If-None-Match", etag!.ToString());
        using var second = await App.Client.SendAsync(conditional);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(etag.IsWeak);
        AssertNoStore(first);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Equal(etag, second.Headers.ETag);
        AssertNoStore(second);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task GetPayment_WhenAnotherMerchantAsks_ShouldAnswer404ForGetAndHead()
    {
        var id = await App.CreatePaymentAsync(Settings.Token("merchant-1"));
        var other = Settings.Token("merchant-2");

        using var get = await App.SendAsync(HttpMethod.Get, "api/v1/payments/" + id, other);
        using var head = await App.SendAsync(HttpMethod.Head, "api/v1/payments/" + id, other);
        using var list = await App.SendAsync(HttpMethod.Get, "api/v1/payments", other);

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("application/problem+json", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.DoesNotContain(id, await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatePayment_WhenTheCustomerIsUnknown_ShouldAnswer422AndStoreNothing()
    {
        var token = Settings.Token("merchant-unknown-customer");

        using var response = await App.SendAsync(HttpMethod.Post, "api/v1/payments", token,
            """{"amount":1999,"currency":"EUR","source":"tok_visa","customerId":"cus_abc0123456789abcdef0123456789abcdef"}""", "e2e-" + Guid.NewGuid());
        using var list = await App.SendAsync(HttpMethod.Get, "api/v1/payments", token);

        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.EndsWith("unknown-customer", problem.RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        using var page = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
        Assert.Equal(0, page.RootElement.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task CreatePayment_WhenTheGatewayDoesNotKnowTheSource_ShouldAnswer422BeforeClaimingTheKey()
    {
        var token = Settings.Token("merchant-unknown-source");
        var key = "e2e-" + Guid.NewGuid();

        using var refused = await App.SendAsync(HttpMethod.Post, "api/v1/payments", token,
            """{"amount":1999,"currency":"EUR","source":"tok_amex"}""", key);
        using var fixedRequest = await App.SendAsync(HttpMethod.Post, "api/v1/payments", token,
            """{"amount":1999,"currency":"EUR","source":"tok_visa"}""", key);

        Assert.Equal((HttpStatusCode)422, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.EndsWith("unknown-source", problem.RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Contains("tok_amex", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The key was never claimed: the corrected request under the same key executes instead of answering 422 mismatch.
        Assert.Equal(HttpStatusCode.Accepted, fixedRequest.StatusCode);
        Assert.False(fixedRequest.Headers.Contains("Idempotent-Replayed"));
    }

    [Fact]
    public async Task ListPayments_WhenPagedWithTheCursorAndFilteredByStatus_ShouldAnswerNewestFirstWithoutGapsOrRepeats()
    {
        // A merchant of its own, so the listing holds exactly this test's payments.
        var token = Settings.Token("merchant-list-" + Guid.NewGuid().ToString("N")[..8]);
        var created = new List<string>();
        foreach (var source in new[] { "tok_visa", "tok_chargeDeclined", "tok_visa", "tok_chargeDeclined", "tok_visa" })
        {
            created.Add(await App.CreatePaymentAsync(token, source));
        }

        await Task.WhenAll(created.Select(id => App.WaitForTerminalAsync(token, id)));

        var listed = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await ListAsync(token, "limit=2" + (cursor is null ? string.Empty : "&cursor=" + cursor));
            Assert.True(page.GetProperty("data").GetArrayLength() <= 2);
            listed.AddRange(page.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10);

        var failed = await ListAsync(token, "status=failed");
        Assert.Equal(Enumerable.Reverse(created), listed);
        Assert.Equal(3, pages);
        Assert.Equal([created[3], created[1]], failed.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()!));
    }

    [Fact]
    public async Task ListPayments_WhenCalledThroughTheStorageProxy_ShouldQueryOnlyTheMerchantsSixteenShardsOnceEach()
    {
        var token = Settings.Token("merchant-cost-" + Guid.NewGuid().ToString("N")[..8]);
        var id = await App.CreatePaymentAsync(token, "tok_visa");
        await App.WaitForTerminalAsync(token, id);

        // Only the listing queries: the processor and the POSTs make point reads and batches, never queries.
        var before = Settings.StorageGuard.Snapshot()[StorageOperation.TableQuery];
        var all = await ListAsync(token, "limit=5");
        var succeeded = await ListAsync(token, "status=succeeded&limit=5");
        var queries = Settings.StorageGuard.Snapshot()[StorageOperation.TableQuery] - before;

        Assert.Equal(2 * SubjectPartitions.PerSubject, queries);
        Assert.Equal(id, Assert.Single(all.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(id, Assert.Single(succeeded.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        Assert.Empty(Settings.StorageGuard.Violations);
    }

    [Fact]
    public async Task ListPayments_WhenTheQueryIsInvalid_ShouldAnswer400NamingEachParameter()
    {
        using var response = await App.SendAsync(HttpMethod.Get, "api/v1/payments?status=paid&limit=0&cursor=nope", Settings.Token());

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"status\"", body, StringComparison.Ordinal);
        Assert.Contains("\"limit\"", body, StringComparison.Ordinal);
        Assert.Contains("\"cursor\"", body, StringComparison.Ordinal);
    }

    /// <summary>Cache-Control: no-store, compared as directives (RFC 9111): a payment is caller data that no cache may keep.</summary>
    private static void AssertNoStore(HttpResponseMessage response)
    {
        var cacheControl = response.Headers.CacheControl;
        Assert.NotNull(cacheControl);
        Assert.True(cacheControl.NoStore && !cacheControl.Public && cacheControl.MaxAge is null,
            $"Cache-Control was '{cacheControl}'");
    }

    private async Task<JsonElement> ListAsync(string token, string query)
    {
        using var response = await App.SendAsync(HttpMethod.Get, "api/v1/payments?" + query, token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.Clone();
    }
}
