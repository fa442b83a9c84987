using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;

namespace Payments.Core.Payments;

/// <summary>A payment message no version of the processor could read, kept for an operator.</summary>
public sealed record DeadLetter(string MessageId, string Text, string Reason, DateTimeOffset ParkedAt);

/// <summary>What an operator's re-enqueue did.</summary>
public abstract record RequeueOutcome
{
    private RequeueOutcome()
    {
    }

    /// <summary>The text went back on the payments queue and the dead letter was removed.</summary>
    public sealed record Requeued(DeadLetter Letter) : RequeueOutcome;

    public sealed record NotFound(string MessageId) : RequeueOutcome;
}

/// <summary>
/// The app's own dead-letter store for payment messages it cannot read (not JSON, an unknown schema version): one
/// row per queue message id, with the original text, the reason and when it was parked. The app writes it itself
/// instead of relying on a host's poison-of-poison queue, which Azure's host never creates. Operators list and
/// re-enqueue with <c>Payments.Operations dead-letters</c>.
/// </summary>
public sealed partial class PaymentDeadLetters(TableClient table, QueueClient paymentsQueue, TimeProvider time, ILogger<PaymentDeadLetters> logger)
{
    /// <summary>All payment dead letters share one partition: they are rare, and listing them is one query.</summary>
    public const string Partition = "payments";

    /// <summary>The property names of a dead letter.</summary>
    private static class Properties
    {
        public const string Text = "Text";
        public const string Reason = "Reason";
        public const string ParkedAt = "ParkedAt";
    }

    /// <summary>Parks a message; a redelivery of the same message id keeps the first row (insert if absent).</summary>
    public async Task ParkAsync(string messageId, string text, string reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentNullException.ThrowIfNull(text);
        var entity = new TableEntity(Partition, messageId)
        {
            [Properties.Text] = text,
            [Properties.Reason] = reason,
            [Properties.ParkedAt] = time.GetUtcNow(),
        };
        try
        {
            await table.AddEntityAsync(entity, cancellationToken);
            Telemetry.PaymentsTelemetry.DeadLetters.Add(1);
            LogParked(messageId, reason);
        }
        catch (RequestFailedException exception) when (exception.Status == 409 && exception.ErrorCode == "EntityAlreadyExists")
        {
            // Parked by an earlier delivery of the same message.
        }
    }

    public async Task<IReadOnlyList<DeadLetter>> ListAsync(CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter>();
        await foreach (var entity in table.QueryAsync<TableEntity>(entity => entity.PartitionKey == Partition, cancellationToken: cancellationToken))
        {
            letters.Add(ToLetter(entity));
        }

        return letters;
    }

    /// <summary>
    /// Puts the original text back on the payments queue, then removes the row (only the version read: a concurrent
    /// requeue of the same row sends at most one extra copy, which the processor treats as a duplicate delivery).
    /// </summary>
    public async Task<RequeueOutcome> RequeueAsync(string messageId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        var found = await table.GetEntityIfExistsAsync<TableEntity>(Partition, messageId, cancellationToken: cancellationToken);
        if (!found.HasValue || found.Value is not { } entity)
        {
            return new RequeueOutcome.NotFound(messageId);
        }

        var letter = ToLetter(entity);
        await paymentsQueue.SendMessageAsync(letter.Text, cancellationToken);
        try
        {
            await table.DeleteEntityAsync(Partition, messageId, entity.ETag, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 412)
        {
            // Another operator requeued it at the same time; the row is gone or changed either way.
        }

        LogRequeued(messageId);
        return new RequeueOutcome.Requeued(letter);
    }

    private static DeadLetter ToLetter(TableEntity entity) => new(
        entity.RowKey,
        entity.GetString(Properties.Text) ?? string.Empty,
        entity.GetString(Properties.Reason) ?? string.Empty,
        entity.GetDateTimeOffset(Properties.ParkedAt) ?? entity.Timestamp ?? DateTimeOffset.MinValue);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "Payment message {MessageId} is unreadable and was parked in the dead-letter table: {Reason}")]
    private partial void LogParked(string messageId, string reason);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "Dead-lettered payment message {MessageId} was put back on the payments queue by an operator")]
    private partial void LogRequeued(string messageId);
}
