using System.Net;
using System.Text.Json;

namespace Payments.Functions.Tests.EndToEnd.Customers;

/// <summary>The customer routes over HTTP: unique email under concurrency, ownership, and PUT/DELETE idempotency.</summary>
public sealed class CustomerApiTests(PaymentsAppFixture fixture) : IClassFixture<PaymentsAppFixture>
{
    private PaymentsApp App => fixture.App;

    private PaymentsAppSettings Settings => fixture.Settings;

    [Fact]
    public async Task CreateCustomer_WhenFiftyCreatesRaceForOneEmailWithDifferentKeys_ShouldCreateExactlyOne()
    {
        var token = Settings.Token("merchant-race-" + Guid.NewGuid().ToString("N")[..8]);
        var email = $"race-{Guid.NewGuid():N}@example.com";

        // Same address in different letter cases: uniqueness is case-insensitive.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            var address = i % 2 == 0 ? email : email.ToUpperInvariant();
            using var response = await App.SendAsync(HttpMethod.Post, "api/v1/customers", token,
                $$"""{"email":"{{address}}","name":"Racer {{i}}"}""", "race-" + Guid.NewGuid());
            return response.StatusCode;
        }));

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(49, statuses.Count(s => s == HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task CustomerRoutes_WhenAnotherMerchantCalls_ShouldAnswer404AndChangeNothing()
    {
        var (id, _) = await CreateAsync(Settings.Token("merchant-1"));
        var before = await GetAsync(Settings.Token("merchant-1"), id);
        var other = Settings.Token("merchant-2");
        var path = "api/v1/customers/" + id;

        using var get = await App.SendAsync(HttpMethod.Get, path, other);
        using var head = await App.SendAsync(HttpMethod.Head, path, other);
        using var put = await App.SendAsync(HttpMethod.Put, path, other, """{"email":"thief@example.com","name":"Thief"}""");
        using var delete = await App.SendAsync(HttpMethod.Delete, path, other);

        Assert.Equal(
            [HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound],
            new[] { get.StatusCode, head.StatusCode, put.StatusCode, delete.StatusCode });
        Assert.Equal(before.Body, (await GetAsync(Settings.Token("merchant-1"), id)).Body);
    }

    [Fact]
    public async Task ReplaceCustomer_WhenIfMatchIsStale_ShouldAnswer412AndKeepTheNewerState()
    {
        var token = Settings.Token();
        var (id, _) = await CreateAsync(token);
        var original = await GetAsync(token, id);
        using var first = await PutAsync(token, id, $"first-{Guid.NewGuid():N}@example.com", original.ETag);

        using var stale = await PutAsync(token, id, $"stale-{Guid.NewGuid():N}@example.com", original.ETag);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal((HttpStatusCode)412, stale.StatusCode);
        Assert.Equal("application/problem+json", stale.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await first.Content.ReadAsStringAsync(), (await GetAsync(token, id)).Body);
    }

    [Fact]
    public async Task ReplaceCustomer_WhenTheSamePutIsSentTwice_ShouldLeaveTheSameState()
    {
        var token = Settings.Token();
        var (id, _) = await CreateAsync(token);
        var email = $"put-{Guid.NewGuid():N}@example.com";

        using var once = await PutAsync(token, id, email);
        var afterOnce = await GetAsync(token, id);
        using var twice = await PutAsync(token, id, email);
        var afterTwice = await GetAsync(token, id);

        Assert.Equal(HttpStatusCode.OK, once.StatusCode);
        Assert.Equal(HttpStatusCode.OK, twice.StatusCode);
        Assert.Contains(email, afterOnce.Body, StringComparison.Ordinal);
        Assert.Equal(afterOnce.Body, afterTwice.Body);
        Assert.Equal(afterOnce.ETag, afterTwice.ETag);
    }

    [Fact]
    public async Task DeleteCustomer_WhenSentTwice_ShouldAnswer204Then404AndTheCustomerShouldStayGone()
    {
        var token = Settings.Token();
        var (id, email) = await CreateAsync(token);

        using var first = await App.SendAsync(HttpMethod.Delete, "api/v1/customers/" + id, token);
        using var second = await App.SendAsync(HttpMethod.Delete, "api/v1/customers/" + id, token);
        using var get = await App.SendAsync(HttpMethod.Get, "api/v1/customers/" + id, token);
        // The address is free again: the delete released it.
        using var again = await App.SendAsync(HttpMethod.Post, "api/v1/customers", token,
            $$"""{"email":"{{email}}","name":"Again"}""", "e2e-" + Guid.NewGuid());

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }

    [Fact]
    public async Task CreatePayment_WhenTheCustomerIsTheCallersOwn_ShouldAcceptItAndCarryTheCustomerId()
    {
        var token = Settings.Token();
        var (id, _) = await CreateAsync(token);

        var paymentId = await App.CreatePaymentAsync(token, customerId: id);

        Assert.Equal(id, (await App.GetPaymentAsync(token, paymentId)).GetProperty("customerId").GetString());
    }

    private async Task<(string Id, string Email)> CreateAsync(string token)
    {
        var email = $"c-{Guid.NewGuid():N}@example.com";
        using var response = await App.SendAsync(HttpMethod.Post, "api/v1/customers", token, $$"""{"email":"{{email}}","name":"Ada"}""", "e2e-" + Guid.NewGuid());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        using var json = JsonDocument.Parse(body);
        var id = json.RootElement.GetProperty("id").GetString()!;
        Assert.Equal("/api/v1/customers/" + id, response.Headers.Location?.OriginalString);
        return (id, email);
    }

    private async Task<(string Body, string ETag)> GetAsync(string token, string id)
    {
        using var response = await App.SendAsync(HttpMethod.Get, "api/v1/customers/" + id, token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return (body, response.Headers.ETag!.ToString());
    }

    private async Task<HttpResponseMessage> PutAsync(string token, string id, string email, string? ifMatch = null)
    {
        using var request = PaymentsApp.Request(HttpMethod.Put, "api/v1/customers/" + id, token, $$"""{"email":"{{email}}","name":"Ada Lovelace"}""");
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await App.Client.SendAsync(request);
    }
}
