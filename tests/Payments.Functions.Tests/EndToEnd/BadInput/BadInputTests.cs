using System.Net;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace Payments.Functions.Tests.EndToEnd.BadInput;

/// <summary>One app for the whole corpus, with a customer and a settled payment to aim at.</summary>
public sealed class BadInputFixture : PaymentsAppFixture, IAsyncLifetime
{
    public BadInputContext Context { get; private set; } = null!;

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var usedKey = "bad-input-used-" + Guid.NewGuid().ToString("N");
        var payment = await CreateAsync("api/v1/payments", Settings.Token(), """{"amount":1999,"currency":"EUR","source":"tok_visa"}""", usedKey);
        var otherPayment = await CreateAsync("api/v1/payments", Settings.Token(subject: "merchant-2"),
            """{"amount":500,"currency":"USD","source":"tok_visa"}""", "bad-input-other-" + Guid.NewGuid().ToString("N"));
        var customer = await CreateAsync("api/v1/customers", Settings.Token(),
            """{"email":"seed@example.com","name":"Seed"}""", "bad-input-customer-" + Guid.NewGuid().ToString("N"));
        Context = new BadInputContext(Settings, payment.Id, customer.Id, customer.ETag, usedKey, otherPayment.Id);

        // The cases compare storage before and after, so the app must be idle first: both payments charged, queue empty.
        await WaitForTerminalAsync(payment.Id, Settings.Token());
        await WaitForTerminalAsync(otherPayment.Id, Settings.Token(subject: "merchant-2"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var queue = Settings.Queue(Settings.Tables.PaymentsQueue);
        while ((await queue.PeekMessagesAsync(32, timeout.Token)).Value.Length > 0)
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    private async Task<(string Id, string ETag)> CreateAsync(string path, string token, string json, string key)
    {
        using var response = await App.SendAsync(HttpMethod.Post, path, token, json, key);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Seeding {path} failed: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return (document.RootElement.GetProperty("id").GetString()!, response.Headers.ETag!.ToString());
    }

    private async Task WaitForTerminalAsync(string id, string token)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var response = await App.SendAsync(HttpMethod.Get, "api/v1/payments/" + id, token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            if (body.Contains("\"status\":\"succeeded\"", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(50, timeout.Token);
        }
    }
}

/// <summary>
/// Every request in <see cref="BadInputCorpus"/> gets its documented 4xx as RFC 9457 problem+json, never a 5xx, and
/// leaves every table and queue of the app exactly as it was.
/// </summary>
public sealed class BadInputTests(BadInputFixture fixture) : IClassFixture<BadInputFixture>
{
    public static IEnumerable<object[]> Cases => BadInputCorpus.Names;

    [Fact]
    public void Corpus_WhenCounted_ShouldHoldAtLeastSixtyDistinctCases()
    {
        Assert.True(BadInputCorpus.All.Count >= 60, $"{BadInputCorpus.All.Count} cases");
        Assert.Equal(BadInputCorpus.All.Count, BadInputCorpus.All.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Send_WhenTheRequestIsMalformedOrHostile_ShouldAnswerItsProblemAndLeaveStorageUnchanged(string name)
    {
        var badCase = BadInputCorpus.Get(name);
        var before = await SnapshotAsync();

        using var request = badCase.Build(fixture.Context);
        using var response = await fixture.App.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode == badCase.Status,
            $"{name}: expected {badCase.Status}, got {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        var root = problem.RootElement;
        Assert.Equal(badCase.Status, root.GetProperty("status").GetInt32());
        Assert.StartsWith("https://", root.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("title").GetString()), body);
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("detail").GetString()), body);

        Assert.Equal(before, await SnapshotAsync());
        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    /// <summary>Every entity (key and ETag) of every table the app writes, and the messages waiting in its queues.</summary>
    private async Task<string> SnapshotAsync()
    {
        var settings = fixture.Settings;
        var text = new StringBuilder();
        foreach (var table in new[] { settings.Tables.IdempotencyTable, settings.Tables.PaymentsTable, settings.Tables.CustomersTable, settings.Tables.LedgerTable, settings.Tables.DeadLettersTable })
        {
            try
            {
                await foreach (var entity in settings.Table(table).QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
                {
                    text.Append(table).Append(' ').Append(entity.PartitionKey).Append(' ').Append(entity.RowKey).Append(' ').Append(entity.ETag).AppendLine();
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                text.Append(table).AppendLine(" absent");
            }
        }

        foreach (var queue in new[] { settings.Tables.PaymentsQueue, settings.Tables.PaymentsQueue + "-poison" })
        {
            try
            {
                var messages = (await settings.Queue(queue).PeekMessagesAsync(32)).Value;
                text.Append(queue).Append(' ').Append(messages.Length).Append(' ').AppendJoin(',', messages.Select(m => m.MessageId)).AppendLine();
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                text.Append(queue).AppendLine(" absent");
            }
        }

        return text.ToString();
    }
}
