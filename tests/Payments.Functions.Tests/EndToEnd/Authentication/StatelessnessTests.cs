using System.Net;

namespace Payments.Functions.Tests.EndToEnd.Authentication;

/// <summary>Two instances of the app (two hosts, two worker processes) on the same storage and the same issuer.</summary>
public sealed class TwoInstancesFixture : IAsyncLifetime
{
    public PaymentsAppSettings Settings { get; } = new();

    public PaymentsApp First { get; private set; } = null!;

    public PaymentsApp Second { get; private set; } = null!;

    public IEnumerable<string> Logs => First.Logs.Concat(Second.Logs);

    public async Task InitializeAsync()
    {
        // Messages stay queued, so a payment's status (and so its body) cannot change between two reads.
        Settings.Overrides["AzureWebJobs.ProcessPayment.Disabled"] = "true";
        var first = PaymentsApp.StartAsync(Settings);
        var second = PaymentsApp.StartAsync(Settings);
        First = await first;
        Second = await second;
    }

    public async Task DisposeAsync()
    {
        await First.DisposeAsync();
        await Second.DisposeAsync();
        Settings.Dispose();
    }
}

/// <summary>
/// The statelessness proof: no instance keeps anything a request needs, so any instance answers any request, before
/// and after both are restarted, and each caller sees only its own resources.
/// </summary>
public sealed class StatelessnessTests(TwoInstancesFixture fixture) : IClassFixture<TwoInstancesFixture>
{
    [Fact]
    public async Task Get_WhenCreatedThroughOneInstance_ShouldReadTheSameThroughEitherInstanceBeforeAndAfterBothRestart()
    {
        var token = fixture.Settings.Token(subject: "merchant-stateless");
        var customer = await CreateAsync(fixture.First, "api/v1/customers", token, """{"email":"ada@example.com","name":"Ada"}""");
        var payment = await CreateAsync(fixture.Second, "api/v1/payments", token,
            $$"""{"amount":2500,"currency":"EUR","source":"tok_visa","customerId":"{{customer.Id}}"}""");

        var before = new[]
        {
            await GetAsync(fixture.Second, customer.Location, token),
            await GetAsync(fixture.First, payment.Location, token),
        };
        Assert.All(before, read => Assert.True(read.Status == HttpStatusCode.OK, read.Body));
        Assert.Equal(before[0], await GetAsync(fixture.First, customer.Location, token));
        Assert.Equal(before[1], await GetAsync(fixture.Second, payment.Location, token));

        await Task.WhenAll(fixture.First.RestartAsync(), fixture.Second.RestartAsync());

        foreach (var app in new[] { fixture.First, fixture.Second })
        {
            Assert.Equal(before[0], await GetAsync(app, customer.Location, token));
            Assert.Equal(before[1], await GetAsync(app, payment.Location, token));
        }

        AssertNeverLogged(token);
    }

    [Fact]
    public async Task Get_WhenAnotherSubjectAsksForTheResource_ShouldAnswer404ThroughEitherInstance()
    {
        var owner = fixture.Settings.Token(subject: "merchant-owner");
        var stranger = fixture.Settings.Token(subject: "merchant-stranger");
        var customer = await CreateAsync(fixture.First, "api/v1/customers", owner, """{"email":"grace@example.com","name":"Grace"}""");
        var payment = await CreateAsync(fixture.First, "api/v1/payments", owner, """{"amount":700,"currency":"USD","source":"tok_visa"}""");

        foreach (var app in new[] { fixture.First, fixture.Second })
        {
            foreach (var location in new[] { customer.Location, payment.Location })
            {
                using var response = await app.SendAsync(HttpMethod.Get, location, stranger);
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{location}: {(int)response.StatusCode} {body}");
                // The problem may name the path the stranger asked for, never what the owner stored there.
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.DoesNotContain("grace@example.com", body, StringComparison.Ordinal);
                Assert.DoesNotContain("merchant-owner", body, StringComparison.Ordinal);
            }

            Assert.Equal(HttpStatusCode.OK, (await GetAsync(app, payment.Location, owner)).Status);
        }

        AssertNeverLogged(owner);
        AssertNeverLogged(stranger);
    }

    private void AssertNeverLogged(string token)
    {
        // The signature alone identifies the token; no line may carry it (nor, then, the whole token).
        var signature = token[(token.LastIndexOf('.') + 1)..];
        Assert.NotEmpty(fixture.Logs);
        Assert.DoesNotContain(fixture.Logs, line => line.Contains(signature, StringComparison.Ordinal));
    }

    private static async Task<(string Location, string Id)> CreateAsync(PaymentsApp app, string path, string token, string json)
    {
        using var response = await app.SendAsync(HttpMethod.Post, path, token, json, "stateless-" + Guid.NewGuid());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        var location = response.Headers.Location?.OriginalString ?? throw new InvalidOperationException("no Location: " + body);
        return (location.TrimStart('/'), location[(location.LastIndexOf('/') + 1)..]);
    }

    private static async Task<(HttpStatusCode Status, string? ETag, string Body)> GetAsync(PaymentsApp app, string location, string token)
    {
        using var response = await app.SendAsync(HttpMethod.Get, location, token);
        return (response.StatusCode, response.Headers.ETag?.Tag, await response.Content.ReadAsStringAsync());
    }
}
