using Azure.Data.Tables;
using Functions.LocalHost.Tests.Infrastructure;

namespace Functions.LocalHost.Tests.Queues;

[Collection(SampleAppCollection.Name)]
public sealed class QueueTriggerTests(SampleAppHost app)
{
    private const int MaxDequeueCount = 3; // the sample app's host.json
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Message_WhenFunctionSucceeds_ShouldBeProcessedOnceWithTriggerMetadataAndDeleted()
    {
        var text = "order-" + Guid.NewGuid().ToString("N");
        var sent = (await app.RecordQueue.SendMessageAsync(text)).Value;

        var recorded = await Eventually.UntilAsync(
            async () => await app.Results.GetEntityIfExistsAsync<TableEntity>("message", text) is { HasValue: true } found ? found.Value : null,
            entity => entity is not null,
            $"message {text} recorded by the function",
            Deadline);

        Assert.Equal(sent.MessageId, recorded.GetString("MessageId"));
        Assert.Equal(1L, recorded.GetInt64("DequeueCount"));
        Assert.Equal(sent.InsertionTime, recorded.GetDateTimeOffset("InsertionTime"));
        await Eventually.UntilAsync(
            async () => (await app.RecordQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount,
            count => count == 0,
            "the processed message deleted from the queue",
            Deadline);
    }

    [Fact]
    public async Task Message_WhenItIsAJsonObjectWithAnIdProperty_ShouldBindThePropertyOverTheBuiltInId()
    {
        var marker = Guid.NewGuid().ToString("N");
        var text = $$"""{"ID":"custom-{{marker}}","amount":5}""";
        var sent = (await app.RecordQueue.SendMessageAsync(text)).Value;

        var recorded = await Eventually.UntilAsync(
            async () => await app.Results.GetEntityIfExistsAsync<TableEntity>("message", text) is { HasValue: true } found ? found.Value : null,
            entity => entity is not null,
            $"JSON message {marker} recorded by the function",
            Deadline);

        Assert.Equal($"custom-{marker}", recorded.GetString("MessageId"));
        Assert.NotEqual(sent.MessageId, recorded.GetString("MessageId"));
    }

    [Fact]
    public async Task Message_WhenFunctionOutlivesTheLease_ShouldKeepItsLeaseAndRunOnlyOnce()
    {
        var text = "slow-" + Guid.NewGuid().ToString("N");
        await app.SlowQueue.SendMessageAsync(text);

        var done = await Eventually.UntilAsync(
            async () => await app.Results.GetEntityIfExistsAsync<TableEntity>("slow-done", text) is { HasValue: true } found ? found.Value : null,
            entity => entity is not null,
            $"slow message {text} completed",
            Deadline);

        Assert.Equal(1L, done.GetInt64("DequeueCount"));
        var starts = await app.Results.QueryAsync<TableEntity>(entity => entity.PartitionKey == "slow-start")
            .Where(entity => entity.RowKey.StartsWith(text, StringComparison.Ordinal))
            .Select(entity => entity.RowKey)
            .ToListAsync();
        Assert.Equal([$"{text}-1"], starts);
        await Eventually.UntilAsync(
            async () => (await app.SlowQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount,
            count => count == 0,
            "the slow message deleted after it completed",
            Deadline);
    }

    [Fact]
    public async Task Message_WhenFunctionBindsAPoco_ShouldReachItDeserialized()
    {
        var orderId = "o-" + Guid.NewGuid().ToString("N");
        await app.OrderQueue.SendMessageAsync($$"""{"orderId":"{{orderId}}","amount":12.50}""");

        var recorded = await Eventually.UntilAsync(
            async () => await app.Results.GetEntityIfExistsAsync<TableEntity>("order", orderId) is { HasValue: true } found ? found.Value : null,
            entity => entity is not null,
            $"order {orderId} recorded by the POCO-bound function",
            Deadline);

        Assert.Equal("12.50", recorded.GetString("Amount"));
    }

    [Fact]
    public async Task Message_WhenNotValidBase64_ShouldBeMovedToPoisonAsItIsWithoutReachingTheFunction()
    {
        var text = "plain text, not base64: " + Guid.NewGuid().ToString("N");
        await app.RawQueue(app.RecordQueue.Name).SendMessageAsync(text);
        var poison = app.RawQueue(app.RecordQueue.Name + "-poison");

        await Eventually.UntilAsync(
            async () => await poison.ExistsAsync() ? (await poison.PeekMessagesAsync(32)).Value : [],
            messages => messages!.Any(message => message.Body.ToString() == text),
            $"the undecodable message in {poison.Name}",
            Deadline);

        Assert.False((await app.Results.GetEntityIfExistsAsync<TableEntity>("message", text)).HasValue);
    }

    [Fact]
    public async Task Message_WhenFunctionAlwaysFails_ShouldBeTriedMaxDequeueCountTimesThenMovedToPoison()
    {
        var text = "bad-" + Guid.NewGuid().ToString("N");
        await app.FailingQueue.SendMessageAsync(text);

        // The poison queue has a consumer (AlwaysFailsOnPoison): its first attempt proves the message arrived there.
        await Eventually.UntilAsync(
            async () => await app.Results.GetEntityIfExistsAsync<TableEntity>("poison-attempt", $"{text}-1") is { HasValue: true },
            arrived => arrived,
            $"message {text} in {app.FailingPoisonQueue.Name}",
            Deadline);

        Assert.Equal(Enumerable.Range(1, MaxDequeueCount).Select(attempt => (long?)attempt), await AttemptsAsync("attempt", text));
        Assert.Equal(0, (await app.FailingQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task Message_WhenFunctionOnAPoisonQueueAlwaysFails_ShouldStayInItsQueueNeverReleasedAndNeverPoisonedAgain()
    {
        var text = "worse-" + Guid.NewGuid().ToString("N");
        await app.FailingPoisonQueue.CreateIfNotExistsAsync();
        var sent = (await app.FailingPoisonQueue.SendMessageAsync(text)).Value;

        // Past maxDequeueCount the message is skipped on each delivery (it comes back once per lease).
        await Eventually.TrueAsync(
            () => app.Logs.GetSnapshot().Any(entry =>
                entry.Message.Contains($"message {sent.MessageId} (dequeue count {MaxDequeueCount + 1}) is skipped until it expires", StringComparison.Ordinal)),
            "a delivery past maxDequeueCount skipped",
            Deadline);

        var attempts = await AttemptsAsync("poison-attempt", text);
        Assert.Equal(Enumerable.Range(1, MaxDequeueCount).Select(attempt => (long?)attempt), attempts);
        Assert.False(await app.RawQueue(app.FailingPoisonQueue.Name + "-poison").ExistsAsync(), "a poison queue of the poison queue was created");
        Assert.Equal(1, (await app.FailingPoisonQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    private async Task<List<long?>> AttemptsAsync(string partition, string text) =>
        (await app.Results.QueryAsync<TableEntity>(entity => entity.PartitionKey == partition)
            .Where(entity => entity.RowKey.StartsWith(text, StringComparison.Ordinal))
            .Select(entity => entity.GetInt64("DequeueCount"))
            .ToListAsync()).Order().ToList();
}
