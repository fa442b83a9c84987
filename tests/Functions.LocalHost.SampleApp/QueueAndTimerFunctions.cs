using Microsoft.Azure.Functions.Worker;

namespace Functions.LocalHost.SampleApp;

/// <summary>Records every message it processes, with the trigger metadata the host sent.</summary>
public sealed class RecordMessage(Recorder recorder)
{
    [Function(nameof(RecordMessage))]
    public async Task Run(
        [QueueTrigger("%Sample:RecordQueue%", Connection = "SampleStorage")] string message,
        string id,
        long dequeueCount,
        DateTimeOffset insertionTime,
        CancellationToken cancellationToken)
    {
        await recorder.RecordAsync("message", message, new Dictionary<string, object>
        {
            ["MessageId"] = id,
            ["DequeueCount"] = dequeueCount,
            ["InsertionTime"] = insertionTime,
        }, cancellationToken);
    }
}

/// <summary>Fails on every message, recording each attempt: the message must end in the poison queue.</summary>
public sealed class AlwaysFails(Recorder recorder)
{
    [Function(nameof(AlwaysFails))]
    public async Task Run(
        [QueueTrigger("%Sample:FailingQueue%", Connection = "SampleStorage")] string message,
        long dequeueCount,
        CancellationToken cancellationToken)
    {
        await recorder.RecordAsync("attempt", $"{message}-{dequeueCount}", new Dictionary<string, object>
        {
            ["DequeueCount"] = dequeueCount,
        }, cancellationToken);
        throw new InvalidOperationException($"Message '{message}' always fails (attempt {dequeueCount}).");
    }
}

/// <summary>
/// Consumes the failing queue's poison queue and fails too: a queue whose name ends in -poison has no poison queue of
/// its own, so its failed messages must stay where they are.
/// </summary>
public sealed class AlwaysFailsOnPoison(Recorder recorder)
{
    [Function(nameof(AlwaysFailsOnPoison))]
    public async Task Run(
        [QueueTrigger("%Sample:FailingQueue%-poison", Connection = "SampleStorage")] string message,
        long dequeueCount,
        CancellationToken cancellationToken)
    {
        await recorder.RecordAsync("poison-attempt", $"{message}-{dequeueCount}", new Dictionary<string, object>
        {
            ["DequeueCount"] = dequeueCount,
        }, cancellationToken);
        throw new InvalidOperationException($"Poison message '{message}' always fails (attempt {dequeueCount}).");
    }
}

/// <summary>Fires every second and records each firing with what the TimerInfo said.</summary>
public sealed class EverySecond(Recorder recorder)
{
    [Function(nameof(EverySecond))]
    public async Task Run([TimerTrigger("*/1 * * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        await recorder.RecordAsync("timer", DateTime.UtcNow.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), new Dictionary<string, object>
        {
            ["IsPastDue"] = timer.IsPastDue,
            ["Next"] = timer.ScheduleStatus?.Next.ToString("o", System.Globalization.CultureInfo.InvariantCulture) ?? "(none)",
        }, cancellationToken);
    }
}

/// <summary>
/// Takes longer than the message lease: the host must renew it so no second copy runs meanwhile. A message starting
/// with "hold-" runs until the host cancels it, and records that it was cancelled.
/// </summary>
public sealed class SlowMessage(Recorder recorder)
{
    [Function(nameof(SlowMessage))]
    public async Task Run(
        [QueueTrigger("%Sample:SlowQueue%", Connection = "SampleStorage")] string message,
        long dequeueCount,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.StartsWith("hold-", StringComparison.Ordinal))
        {
            try
            {
                await recorder.RecordAsync("slow-start", $"{message}-{dequeueCount}", new Dictionary<string, object>
                {
                    ["DequeueCount"] = dequeueCount,
                }, cancellationToken);
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await recorder.RecordAsync("slow-cancelled", message, new Dictionary<string, object>
                {
                    ["DequeueCount"] = dequeueCount,
                }, CancellationToken.None);
                throw;
            }
        }

        await recorder.RecordAsync("slow-start", $"{message}-{dequeueCount}", new Dictionary<string, object>
        {
            ["DequeueCount"] = dequeueCount,
        }, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(4), cancellationToken);
        await recorder.RecordAsync("slow-done", message, new Dictionary<string, object>
        {
            ["DequeueCount"] = dequeueCount,
        }, cancellationToken);
    }
}

public sealed record OrderMessage(string OrderId, decimal Amount);

/// <summary>A queue trigger bound to a POCO: the JSON message is deserialized by the worker.</summary>
public sealed class RecordOrder(Recorder recorder)
{
    [Function(nameof(RecordOrder))]
    public async Task Run(
        [QueueTrigger("%Sample:OrderQueue%", Connection = "SampleStorage")] OrderMessage order,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        await recorder.RecordAsync("order", order.OrderId, new Dictionary<string, object>
        {
            ["Amount"] = order.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, cancellationToken);
    }
}
