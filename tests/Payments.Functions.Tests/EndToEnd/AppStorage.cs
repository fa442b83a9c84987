using Azure.Data.Tables;
using Payments.Core.Payments;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>What an app left in its storage, read directly from Azurite for assertions.</summary>
public static class AppStorage
{
    public static async Task<int> CountAsync(this PaymentsAppSettings settings, string table, string? filter = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var count = 0;
        await foreach (var _ in settings.Table(table).QueryAsync<TableEntity>(filter, select: ["PartitionKey"]))
        {
            count++;
        }

        return count;
    }

    /// <summary>Payments rows of one merchant (the payments table also holds idempotency records).</summary>
    public static Task<int> PaymentCountAsync(this PaymentsAppSettings settings, string merchantId) =>
        settings.CountAsync(settings.Tables.PaymentsTable,
            TableClient.CreateQueryFilter($"Kind eq {PaymentEntity.KindValue} and MerchantId eq {merchantId}"));

    /// <summary>The texts of the messages waiting in the payments queue (peeked, not taken; the queue holds few in tests).</summary>
    public static async Task<List<string>> QueuedMessagesAsync(this PaymentsAppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var peeked = await settings.Queue(settings.Tables.PaymentsQueue).PeekMessagesAsync(maxMessages: 32);
        return [.. peeked.Value.Select(message => message.Body.ToString())];
    }
}
