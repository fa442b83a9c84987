using Azure.Data.Tables;
using Functions.LocalHost.Tests.Infrastructure;

namespace Functions.LocalHost.Tests.Queues;

[Collection(SampleAppCollection.Name)]
public sealed class QueueTriggerTests(SampleAppHost app)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Message_WhenFunctionSucceeds_ShouldBeProcessedOnceWithTriggerMetadataAndDeleted()
    {
        var text = "order-" + Guid.NewGuid().ToString("N");
        var sent = (await app.RecordQueue.SendMessageAsync(text)).Value;

        var recorded = await Eventually.GetAsync(
            async () => await app.Results.GetEntityIfExistsAsync<TableEntity>("message", text) is { HasValue: true } found ? found.Value : null,
            entity => entity is not null,
            Deadline,
            $"message {text} recorded by the function");

        Assert.Equal(sent.MessageId, recorded.GetString("MessageId"));
        Assert.Equal(1L, recorded.GetInt64("DequeueCount"));
        Assert.Equal(sent.InsertionTime, recorded.GetDateTimeOffset("InsertionTime"));
        await Eventually.GetAsync(
            async () => (await app.RecordQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount,
            count => count == 0,
            Deadline,
            "the processed message deleted from the queue");
    }

    [Fact]
    public async Task Message_WhenFunctionOutlivesTheLease_ShouldKeepItsLeaseAndRunOnlyOnce()
    {
        var text = "slow-" + Guid.NewGuid().ToString("N");
        await app.SlowQueue.SendMessageAsync(text);

        var done = await Eventually.GetAsync(
            async () => await app.Results.GetEntityIfExistsAsync<TableEntity>("slow-done", text) is { HasValue: true } found ? found.Value : null,
            entity => entity is not null,
            Deadline,
            $"slow message {text} completed");

        Assert.Equal(1L, done.GetInt64("DequeueCount"));
        var starts = await app.Results.QueryAsync<TableEntity>(entity => entity.PartitionKey == "slow-start")
            .Where(entity => entity.RowKey.StartsWith(text, StringComparison.Ordinal))
            .Select(entity => entity.RowKey)
            .ToListAsync();
        Assert.Equal([$"{text}-1"], starts);
        await Eventually.GetAsync(
            async () => (await app.SlowQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount,
            count => count == 0,
            Deadline,
            "the slow message deleted after it completed");
    }

    [Fact]
    public async Task Message_WhenFunctionBindsAPoco_ShouldReachItDeserialized()
    {
        var orderId = "o-" + Guid.NewGuid().ToString("N");
        await app.OrderQueue.SendMessageAsync($$"""{"orderId":"{{orderId}}","amount":12.50}""");

        var recorded = await Eventually.GetAsync(
            async () => await app.Results.GetEntityIfExistsAsync<TableEntity>("order", orderId) is { HasValue: true } found ? found.Value : null,
            entity => entity is not null,
            Deadline,
            $"order {orderId} recorded by the POCO-bound function");

        Assert.Equal("12.50", recorded.GetString("Amount"));
    }

    [Fact]
    public async Task Message_WhenNotValidBase64_ShouldBeMovedToPoisonAsItIsWithoutReachingTheFunction()
    {
        var text = "plain text, not base64: " + Guid.NewGuid().ToString("N");
        await app.RawQueue(app.RecordQueue.Name).SendMessageAsync(text);
        var poison = app.RawQueue(app.RecordQueue.Name + "-poison");

        await Eventually.GetAsync(
            async () => await poison.ExistsAsync() ? (await poison.PeekMessagesAsync(32)).Value : [],
            messages => messages!.Any(message => message.Body.ToString() == text),
            Deadline,
            $"the undecodable message in {poison.Name}");

        Assert.False((await app.Results.GetEntityIfExistsAsync<TableEntity>("message", text)).HasValue);
    }

    [Fact]
    public async Task Message_WhenFunctionAlwaysFails_ShouldBeTriedMaxDequeueCountTimesThenMovedToPoison()
    {
        const int maxDequeueCount = 3; // the sample app's host.json
        var text = "bad-" + Guid.NewGuid().ToString("N");
        await app.FailingQueue.SendMessageAsync(text);

        await Eventually.GetAsync(
            async () => await app.FailingPoisonQueue.ExistsAsync() ? (await app.FailingPoisonQueue.PeekMessagesAsync(32)).Value : [],
            messages => messages!.Any(message => message.Body.ToString() == text),
            Deadline,
            $"message {text} in {app.FailingPoisonQueue.Name}");

        var attempts = await app.Results.QueryAsync<TableEntity>(entity => entity.PartitionKey == "attempt")
            .Where(entity => entity.RowKey.StartsWith(text, StringComparison.Ordinal))
            .Select(entity => entity.GetInt64("DequeueCount"))
            .ToListAsync();
        Assert.Equal(Enumerable.Range(1, maxDequeueCount).Select(attempt => (long?)attempt), attempts.Order());
        Assert.Equal(0, (await app.FailingQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }
}
