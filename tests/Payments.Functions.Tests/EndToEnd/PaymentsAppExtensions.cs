using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Idempotency.Tables;
using Payments.Core.Payments;
using Payments.Core.Storage;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>The calls the end-to-end tests make again and again: create a payment, wait for its state, count its charges.</summary>
public static class PaymentsAppExtensions
{
    public static readonly TimeSpan TerminalDeadline = TimeSpan.FromSeconds(40);

    /// <summary>POSTs a payment and returns its id; fails the test unless the answer is 202.</summary>
    public static async Task<string> CreatePaymentAsync(this PaymentsApp app, string token, string source = "tok_visa", string? customerId = null, long amount = 1999)
    {
        ArgumentNullException.ThrowIfNull(app);
        var customer = customerId is null ? string.Empty : $",\"customerId\":\"{customerId}\"";
        using var response = await app.SendAsync(HttpMethod.Post, "api/v1/payments", token,
            $$"""{"amount":{{amount}},"currency":"EUR","source":"{{source}}"{{customer}}}""", "e2e-" + Guid.NewGuid());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /api/v1/payments answered {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>GETs the payment until its status is terminal (succeeded or failed), within a bounded deadline.</summary>
    public static Task<JsonElement> WaitForTerminalAsync(this PaymentsApp app, string token, string id, TimeSpan? timeout = null) =>
        app.WaitForStatusAsync(token, id, status => status is "succeeded" or "failed", timeout);

    public static async Task<JsonElement> WaitForStatusAsync(this PaymentsApp app, string token, string id, Func<string, bool> wanted, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(wanted);
        // Answers other than 200 are waited out too: a restarting worker answers 503 for a moment.
        return await Eventually.ValueAsync(async () =>
        {
            using var response = await app.SendAsync(HttpMethod.Get, "api/v1/payments/" + id, token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (false, default(JsonElement));
            }

            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var payment = json.RootElement.Clone();
            return (wanted(payment.GetProperty("status").GetString()!), payment);
        }, $"payment {id} reaches the wanted status", timeout ?? TerminalDeadline);
    }

    public static async Task<JsonElement> GetPaymentAsync(this PaymentsApp app, string token, string id)
    {
        ArgumentNullException.ThrowIfNull(app);
        using var response = await app.SendAsync(HttpMethod.Get, "api/v1/payments/" + id, token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET payment {id} answered {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.Clone();
    }

    /// <summary>Charges the simulated gateway recorded for a payment: its ledger rows are keyed by the payment id.</summary>
    public static async Task<int> LedgerEntriesAsync(this PaymentsAppSettings settings, string paymentId)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var count = 0;
        await foreach (var _ in settings.Table(settings.Tables.LedgerTable).QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"RowKey eq {paymentId} and Kind ne {"void"}"), select: ["RowKey"]))
        {
            count++;
        }

        return count;
    }

    /// <summary>Writes a payment straight into the payments table, as PaymentService would, with no message for it.</summary>
    public static async Task<PaymentId> InsertPaymentAsync(this PaymentsAppSettings settings, string merchantId, PaymentStatus status,
        string source = "tok_visa", TimeSpan? age = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var id = PaymentId.New(SubjectPartitions.For(merchantId, Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())));
        var at = DateTimeOffset.UtcNow - (age ?? TimeSpan.Zero);
        var payment = new Payment(id, merchantId, 1999, "EUR", source, null, null, new Dictionary<string, string>(), status, null, at, at, at, default);
        var table = settings.Table(settings.Tables.PaymentsTable);
        await table.CreateIfNotExistsAsync();
        await table.SubmitTransactionAsync(PaymentIndex.Insert(payment));
        return id;
    }

    /// <summary>Sends a message to the payments queue as the app would (base64 JSON, schema version 1).</summary>
    public static async Task SendPaymentMessageAsync(this PaymentsAppSettings settings, string text)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var queue = settings.Queue(settings.Tables.PaymentsQueue);
        // The app creates its queue on first use; a test may send before that.
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync(text);
    }

    public static string MessageFor(string paymentId) => $$"""{"v":1,"paymentId":"{{paymentId}}"}""";
}
