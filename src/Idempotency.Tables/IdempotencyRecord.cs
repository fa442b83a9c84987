using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace Idempotency.Tables;

/// <summary>The table entity behind one key: how it is written and read. Property names are the storage schema.</summary>
internal sealed record IdempotencyRecord(
    string State,
    string Fingerprint,
    string? Subject,
    string? Key,
    string? AttemptId,
    string? Generation,
    int Executions,
    DateTimeOffset LockedUntil,
    DateTimeOffset ExpiresAt,
    StoredResponse? Response,
    ETag ETag)
{
    public const string KindValue = "idempotency";
    public const string InProgressState = "in_progress";
    public const string CompletedState = "completed";

    public const string KindProperty = "Kind";
    public const string StateProperty = "State";
    public const string FingerprintProperty = "Fingerprint";
    public const string SubjectProperty = "Subject";
    public const string KeyProperty = "IdempotencyKey";
    public const string AttemptIdProperty = "AttemptId";
    public const string GenerationProperty = "Generation";
    public const string ExecutionsProperty = "Executions";
    public const string LockedUntilProperty = "LockedUntil";
    public const string ExpiresAtProperty = "ExpiresAt";
    public const string CompletedAtProperty = "CompletedAt";
    public const string StatusProperty = "ResponseStatus";
    public const string HeadersProperty = "ResponseHeaders";
    public const string BodyLengthProperty = "ResponseBodyLength";
    public const string BodyChunksProperty = "ResponseBodyChunks";
    public const string BodyChunkPrefix = "ResponseBody";

    /// <summary>Row keys of expiry entries start with this: <c>exp-{expiry hour}-{record row key}</c>, beside the record.</summary>
    public const string ExpiryEntryPrefix = "exp-";
    private const string ExpiryHourFormat = "yyyyMMddHH";

    public bool IsCompleted => State == CompletedState;

    /// <summary>Whether the record is for this very request (same caller, key and fingerprint).</summary>
    public bool Matches(string subject, IdempotencyKey key, RequestFingerprint fingerprint) =>
        Fingerprint == fingerprint.Value && Subject == subject && Key == key.Value;

    /// <summary>A fresh id for one record write: whoever reads the record later knows which write put it there.</summary>
    public static string NewAttemptId() => Guid.NewGuid().ToString("N");

    public static TableEntity InProgress(
        IdempotencyRecordKey recordKey, string subject, IdempotencyKey key, RequestFingerprint fingerprint, string attemptId,
        string generation, int executions, DateTimeOffset now, IdempotencyOptions options) =>
        new(recordKey.PartitionKey, recordKey.RowKey)
        {
            [KindProperty] = KindValue,
            [StateProperty] = InProgressState,
            [FingerprintProperty] = fingerprint.Value,
            [SubjectProperty] = subject,
            [KeyProperty] = key.Value,
            [AttemptIdProperty] = attemptId,
            [GenerationProperty] = generation,
            [ExecutionsProperty] = executions,
            [LockedUntilProperty] = now + options.Lock,
            [ExpiresAtProperty] = now + options.Retention,
        };

    public static TableEntity Completed(IdempotencyLease lease, string attemptId, StoredResponse response, DateTimeOffset now, IdempotencyOptions options)
    {
        var entity = new TableEntity(lease.PartitionKey, lease.RowKey)
        {
            [KindProperty] = KindValue,
            [StateProperty] = CompletedState,
            [FingerprintProperty] = lease.Fingerprint.Value,
            [SubjectProperty] = lease.Subject,
            [KeyProperty] = lease.Key.Value,
            [AttemptIdProperty] = attemptId,
            [GenerationProperty] = lease.Generation,
            [ExecutionsProperty] = lease.Execution,
            [LockedUntilProperty] = lease.LockedUntil,
            // Retention counts from the outcome, so a slow first attempt still gets its full replay window.
            [ExpiresAtProperty] = now + options.Retention,
            [CompletedAtProperty] = now,
            [StatusProperty] = response.StatusCode,
            [HeadersProperty] = response.SerializeHeaders(),
            [BodyLengthProperty] = response.Body.Length,
        };
        var chunks = 0;
        for (var offset = 0; offset < response.Body.Length; offset += StoredResponse.ChunkBytes)
        {
            var length = Math.Min(StoredResponse.ChunkBytes, response.Body.Length - offset);
            entity[ChunkName(chunks++)] = response.Body.Slice(offset, length).ToArray();
        }

        entity[BodyChunksProperty] = chunks;
        return entity;
    }

    /// <summary>
    /// The expiry entry of a record as <paramref name="record"/> writes it: in the record's partition, named by the hour
    /// its retention ends, so the reaper finds expired records with one RowKey range per partition. Every write that sets
    /// a record's expiry upserts it in the same entity group transaction (no extra storage transaction).
    /// </summary>
    public static TableTransactionAction UpsertExpiryEntry(TableEntity record) =>
        new(TableTransactionActionType.UpsertReplace, ExpiryEntry(record.PartitionKey, record.RowKey,
            record.GetDateTimeOffset(ExpiresAtProperty) ?? throw new ArgumentException("The record has no expiry.", nameof(record))));

    public static TableEntity ExpiryEntry(string partitionKey, string recordRowKey, DateTimeOffset expiresAt) =>
        new(partitionKey, ExpiryEntryPrefix + ExpiryHour(expiresAt) + "-" + recordRowKey);

    /// <summary>
    /// The expiry entries of partition <paramref name="partitionKey"/> whose hour ended before <paramref name="now"/>'s
    /// hour began: every record they name expired before <paramref name="now"/>, unless a later write renewed it (then
    /// it has an entry of a later hour too).
    /// </summary>
    public static string ExpiredEntriesFilter(string partitionKey, DateTimeOffset now) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {ExpiryEntryPrefix} and RowKey lt {ExpiryEntryPrefix + ExpiryHour(now)}");

    /// <summary>The row key of the record an expiry entry names.</summary>
    public static string RecordRowKeyOf(string expiryEntryRowKey) => expiryEntryRowKey[(ExpiryEntryPrefix.Length + ExpiryHourFormat.Length + 1)..];

    private static string ExpiryHour(DateTimeOffset at) => at.UtcDateTime.ToString(ExpiryHourFormat, CultureInfo.InvariantCulture);

    public static IdempotencyRecord Read(TableEntity entity)
    {
        var state = entity.GetString(StateProperty) ?? InProgressState;
        StoredResponse? response = null;
        if (state == CompletedState)
        {
            var length = entity.GetInt32(BodyLengthProperty) ?? 0;
            var chunks = entity.GetInt32(BodyChunksProperty) ?? 0;
            var body = new byte[length];
            var offset = 0;
            for (var i = 0; i < chunks; i++)
            {
                var chunk = entity.GetBinary(ChunkName(i)) ?? throw Corrupt(entity, $"chunk {i} of {chunks} is missing");
                chunk.CopyTo(body.AsSpan(offset));
                offset += chunk.Length;
            }

            if (offset != length)
            {
                throw Corrupt(entity, $"the body has {offset} bytes, the record says {length}");
            }

            response = new StoredResponse(
                entity.GetInt32(StatusProperty) ?? throw Corrupt(entity, "the status is missing"),
                StoredResponse.DeserializeHeaders(entity.GetString(HeadersProperty)),
                body);
        }

        return new IdempotencyRecord(
            state,
            entity.GetString(FingerprintProperty) ?? string.Empty,
            entity.GetString(SubjectProperty),
            entity.GetString(KeyProperty),
            entity.GetString(AttemptIdProperty),
            entity.GetString(GenerationProperty),
            entity.GetInt32(ExecutionsProperty) ?? 1,
            entity.GetDateTimeOffset(LockedUntilProperty) ?? DateTimeOffset.MinValue,
            entity.GetDateTimeOffset(ExpiresAtProperty) ?? DateTimeOffset.MinValue,
            response,
            entity.ETag);
    }

    private static string ChunkName(int index) => BodyChunkPrefix + index.ToString(CultureInfo.InvariantCulture);

    private static InvalidOperationException Corrupt(TableEntity entity, string what) =>
        new($"Idempotency record {entity.PartitionKey}/{entity.RowKey} is corrupt: {what}.");
}
