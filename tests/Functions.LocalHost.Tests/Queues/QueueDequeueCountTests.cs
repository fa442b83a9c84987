using Azure.Storage.Queues;
using Functions.LocalHost.Configuration;
using Functions.LocalHost.Grpc.Messages;
using Functions.LocalHost.Queues;
using Functions.LocalHost.Tests.Infrastructure;
using Functions.LocalHost.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Functions.LocalHost.Tests.Queues;

/// <summary>
/// A message whose dequeue count is already past maxDequeueCount when the listener receives it (a host or worker died
/// while it was leased): QueueProcessor handles it as poison before any invocation. The listeners here have no worker
/// at all, so an invocation would fail the test.
/// </summary>
public sealed class QueueDequeueCountTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Message_WhenReceivedAlreadyPastMaxDequeueCount_ShouldBeMovedToPoisonWithoutAnInvocation()
    {
        var queue = azurite.CreateClients().GetQueueClient(AzuriteFixture.UniqueName("pastmax"));
        var poison = azurite.CreateClients().GetQueueClient(queue.Name + "-poison");
        await queue.CreateIfNotExistsAsync();
        var text = "late-" + Guid.NewGuid().ToString("N");
        await SendDequeuedAsync(queue, text, QueueOptions.Defaults.MaxDequeueCount + 1);
        using var loggerFactory = new FakeLogCollector().CreateLoggerFactory(LogLevel.Information);

        await using (var listener = Create(queue.Name, loggerFactory))
        {
            listener.Start();
            await Eventually.UntilAsync(
                async () => await poison.ExistsAsync() ? (await poison.PeekMessagesAsync(10)).Value : [],
                messages => messages!.Any(message => message.Body.ToString() == text),
                $"message {text} in {poison.Name}",
                Deadline);
        }

        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        await poison.DeleteIfExistsAsync();
        await queue.DeleteIfExistsAsync();
    }

    [Fact]
    public async Task Message_WhenReceivedPastMaxDequeueCountOnAQueueWithoutPoisonQueue_ShouldBeSkippedAndLeftInPlace()
    {
        var queue = azurite.CreateClients().GetQueueClient(AzuriteFixture.UniqueName("pastmax") + "-poison");
        await queue.CreateIfNotExistsAsync();
        var text = "late-" + Guid.NewGuid().ToString("N");
        var messageId = await SendDequeuedAsync(queue, text, QueueOptions.Defaults.MaxDequeueCount + 1);
        var logs = new FakeLogCollector();
        using var loggerFactory = logs.CreateLoggerFactory(LogLevel.Information);

        await using (var listener = Create(queue.Name, loggerFactory))
        {
            listener.Start();
            await Eventually.TrueAsync(
                () => logs.GetSnapshot().Any(entry => entry.Message.Contains($"message {messageId} (dequeue count {QueueOptions.Defaults.MaxDequeueCount + 2}) is skipped until it expires", StringComparison.Ordinal)),
                $"message {messageId} skipped",
                Deadline);
        }

        Assert.Equal(1, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.False(await azurite.CreateClients().GetQueueClient(queue.Name + "-poison").ExistsAsync(), "a poison queue of the poison queue was created");
        await queue.DeleteIfExistsAsync();
    }

    /// <summary>Sends a message and receives it <paramref name="times"/> times, making it visible again after each.</summary>
    private static async Task<string> SendDequeuedAsync(QueueClient queue, string text, int times)
    {
        var sent = (await queue.SendMessageAsync(text)).Value;
        for (var received = 0; received < times; received++)
        {
            var message = (await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30))).Value
                ?? throw new InvalidOperationException($"message {sent.MessageId} was not visible for receive {received + 1}");
            await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
        }

        return sent.MessageId;
    }

    private QueueTriggerListener Create(string queueName, Microsoft.Extensions.Logging.ILoggerFactory loggerFactory)
    {
        var metadata = new RpcFunctionMetadata { Name = "Late", FunctionId = "1" };
        metadata.RawBindings.Add($$"""{"name":"message","type":"queueTrigger","direction":"In","queueName":"{{queueName}}","connection":"Storage"}""");
        var settings = AppSettings.Load(null, new Dictionary<string, string> { ["Storage"] = azurite.ConnectionString });
        return QueueTriggerListener.Create(
            FunctionDescriptor.From(metadata), supervisor: null!, settings, QueueOptions.Defaults, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(1),
            loggerFactory.CreateLogger("Late"));
    }
}
