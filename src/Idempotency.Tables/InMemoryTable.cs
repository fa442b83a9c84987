using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Azure;
using Azure.Core;
using Azure.Data.Tables;

namespace Idempotency.Tables;

/// <summary>
/// A table kept in memory that answers the calls <see cref="IdempotencyStore"/> makes the way Table Storage does:
/// an insert of an existing entity fails with 409, a write with a stale ETag with 412, an update of a missing entity
/// with 404 (a delete of one answers 404 without throwing, as the SDK does), every write gets a new ETag, and a
/// transaction is all or nothing, in one partition, at most 100 actions, each entity once, failing with
/// <see cref="TableTransactionFailedException"/> naming the action that failed. Property limits are Table Storage's
/// (a string 32,768 UTF-16 characters, a binary 64 KiB, 255 properties with the system ones, an entity 1 MiB, keys
/// without '/', '\', '#', '?' or control characters). For an app's unit tests and for the in-memory store of the
/// shared contract suite (tests/Idempotency.Tables.Tests), which holds it to the same answers as Azurite.
/// Queries are not supported: the reaper is Table-only.
/// </summary>
public sealed class InMemoryTable : TableClient
{
    private const int MaxStringChars = 32 * 1024;
    private const int MaxBinaryBytes = 64 * 1024;
    private const int MaxProperties = 255;
    private const int MaxEntityBytes = 1024 * 1024;
    private const int MaxBatchActions = 100;
    private const string FailedEntityData = "FailedEntity"; // where TableTransactionFailedException reads the failed action's index

    private readonly Dictionary<(string PartitionKey, string RowKey), TableEntity> _entities = [];
    private readonly Lock _lock = new();
    private long _version;

    /// <summary>Creates an empty table called <paramref name="name"/>.</summary>
    public InMemoryTable(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The table's name.</summary>
    public override string Name { get; }

    /// <summary>How many entities the table holds (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entities.Count;
            }
        }
    }

    /// <summary>Nothing to create: the table exists from its construction.</summary>
    public override Task<Response<Azure.Data.Tables.Models.TableItem>> CreateIfNotExistsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Response.FromValue(Azure.Data.Tables.Models.TableModelFactory.TableItem(Name, null, null, null), new InMemoryResponse(204, null)));

    /// <summary>Inserts the entity; 409 when it exists.</summary>
    public override Task<Response> AddEntityAsync<T>(T entity, CancellationToken cancellationToken = default) =>
        Task.FromResult<Response>(Write(() => Apply(new TableTransactionAction(TableTransactionActionType.Add, entity))));

    /// <summary>Replaces or merges the entity; 412 on a stale ETag, 404 when it is missing.</summary>
    public override Task<Response> UpdateEntityAsync<T>(T entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        Task.FromResult<Response>(Write(() => Apply(new TableTransactionAction(
            mode == TableUpdateMode.Replace ? TableTransactionActionType.UpdateReplace : TableTransactionActionType.UpdateMerge, entity, ifMatch == default ? ETag.All : ifMatch))));

    /// <summary>Inserts, replaces or merges the entity unconditionally.</summary>
    public override Task<Response> UpsertEntityAsync<T>(T entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        Task.FromResult<Response>(Write(() => Apply(new TableTransactionAction(
            mode == TableUpdateMode.Replace ? TableTransactionActionType.UpsertReplace : TableTransactionActionType.UpsertMerge, entity))));

    /// <summary>Deletes the entity; 412 on a stale ETag, a 404 answer (not an exception) when it is missing.</summary>
    public override Task<Response> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default)
    {
        try
        {
            return Task.FromResult<Response>(Write(() => Apply(new TableTransactionAction(
                TableTransactionActionType.Delete, new TableEntity(partitionKey, rowKey), ifMatch == default ? ETag.All : ifMatch))));
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return Task.FromResult<Response>(new InMemoryResponse(404, null)); // the SDK answers a missing entity's delete without throwing
        }
    }

    /// <summary>The entity, or no value when it is missing.</summary>
    public override Task<NullableResponse<T>> GetEntityIfExistsAsync<T>(
        string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<NullableResponse<T>>(_entities.TryGetValue((partitionKey, rowKey), out var stored)
                ? Response.FromValue(As<T>(Copy(stored)), new InMemoryResponse(200, stored.ETag))
                : new NoEntity<T>());
        }
    }

    /// <summary>The entity; 404 when it is missing.</summary>
    public override async Task<Response<T>> GetEntityAsync<T>(
        string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        var found = await GetEntityIfExistsAsync<T>(partitionKey, rowKey, select, cancellationToken);
        return found.HasValue
            ? Response.FromValue(found.Value!, found.GetRawResponse())
            : throw new RequestFailedException(404, "The specified resource does not exist.", "ResourceNotFound", null);
    }

    /// <summary>Applies every action or none, as an entity group transaction does.</summary>
    public override Task<Response<IReadOnlyList<Response>>> SubmitTransactionAsync(
        IEnumerable<TableTransactionAction> transactionActions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transactionActions);
        var actions = transactionActions.ToList();
        if (actions.Count == 0)
        {
            throw new InvalidOperationException("The batch contains no entity operations.");
        }

        lock (_lock)
        {
            var partition = actions[0].Entity.PartitionKey;
            var rows = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < actions.Count; i++)
            {
                var entity = actions[i].Entity;
                if (actions.Count > MaxBatchActions)
                {
                    throw Failed(i, 400, "InvalidInput", $"A transaction holds at most {MaxBatchActions} actions; this one has {actions.Count}.");
                }

                if (entity.PartitionKey != partition)
                {
                    throw Failed(i, 400, "CommandsInBatchActOnDifferentPartitions", "All commands in a batch must operate on the same partition.");
                }

                if (!rows.Add(entity.RowKey))
                {
                    throw Failed(i, 400, "InvalidDuplicateRow", "The batch request contains multiple changes with the same row key.");
                }
            }

            // All or nothing: apply to a copy, keep it only when every action succeeded.
            var before = new Dictionary<(string, string), TableEntity>(_entities);
            var responses = new List<Response>(actions.Count);
            for (var i = 0; i < actions.Count; i++)
            {
                try
                {
                    responses.Add(Apply(actions[i]));
                }
                catch (RequestFailedException ex)
                {
                    _entities.Clear();
                    foreach (var (key, value) in before)
                    {
                        _entities[key] = value;
                    }

                    throw Failed(i, ex.Status, ex.ErrorCode, ex.Message);
                }
            }

            return Task.FromResult(Response.FromValue<IReadOnlyList<Response>>(responses, new InMemoryResponse(202, null)));
        }
    }

    /// <summary>Not supported: queries are not evaluated in memory.</summary>
    public override AsyncPageable<T> QueryAsync<T>(
        string? filter = null, int? maxPerPage = null, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("InMemoryTable does not evaluate queries; the reaper runs on Table Storage (or Azurite) only.");

    private InMemoryResponse Write(Func<InMemoryResponse> write)
    {
        lock (_lock)
        {
            return write();
        }
    }

    /// <summary>One action under the lock, with Table Storage's answer; throws RequestFailedException as the service fails it.</summary>
    private InMemoryResponse Apply(TableTransactionAction action)
    {
        var entity = action.Entity;
        Validate(entity);
        var key = (entity.PartitionKey, entity.RowKey);
        var exists = _entities.TryGetValue(key, out var current);
        switch (action.ActionType)
        {
            case TableTransactionActionType.Add:
                if (exists)
                {
                    throw new RequestFailedException(409, "The specified entity already exists.", "EntityAlreadyExists", null);
                }

                return Store(key, Copy(entity));
            case TableTransactionActionType.UpdateReplace or TableTransactionActionType.UpdateMerge:
                EnsureMatch(exists, current, action.ETag);
                return Store(key, action.ActionType == TableTransactionActionType.UpdateMerge ? Merge(current!, entity) : Copy(entity));
            case TableTransactionActionType.UpsertReplace:
                return Store(key, Copy(entity));
            case TableTransactionActionType.UpsertMerge:
                return Store(key, exists ? Merge(current!, entity) : Copy(entity));
            case TableTransactionActionType.Delete:
                EnsureMatch(exists, current, action.ETag);
                _entities.Remove(key);
                return new InMemoryResponse(204, null);
            default:
                throw new NotSupportedException($"Unknown transaction action {action.ActionType}.");
        }
    }

    private static void EnsureMatch(bool exists, TableEntity? current, ETag ifMatch)
    {
        if (!exists)
        {
            throw new RequestFailedException(404, "The specified resource does not exist.", "ResourceNotFound", null);
        }

        if (ifMatch != ETag.All && ifMatch != current!.ETag)
        {
            throw new RequestFailedException(412, "The update condition specified in the request was not satisfied.", "UpdateConditionNotSatisfied", null);
        }
    }

    private InMemoryResponse Store((string, string) key, TableEntity entity)
    {
        var version = ++_version;
        entity.ETag = new ETag(string.Create(CultureInfo.InvariantCulture, $"W/\"datetime'{version:D19}'\""));
        entity.Timestamp = DateTimeOffset.UtcNow;
        _entities[key] = entity;
        return new InMemoryResponse(204, entity.ETag);
    }

    private static void Validate(ITableEntity entity)
    {
        if (entity is not TableEntity table)
        {
            throw new NotSupportedException("InMemoryTable stores TableEntity only.");
        }

        foreach (var (name, key) in new[] { ("PartitionKey", table.PartitionKey), ("RowKey", table.RowKey) })
        {
            if (key is null || key.Length > 1024 || key.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c)))
            {
                throw new RequestFailedException(400, $"The {name} is invalid: at most 1 KiB, without '/', '\\', '#', '?' or control characters.", "OutOfRangeInput", null);
            }
        }

        var bytes = 4 + 2 * (table.PartitionKey.Length + table.RowKey.Length);
        var properties = 3; // PartitionKey, RowKey, Timestamp
        foreach (var (name, value) in table)
        {
            if (name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag")
            {
                continue;
            }

            properties++;
            bytes += 8 + 2 * name.Length;
            switch (value)
            {
                case string text when text.Length > MaxStringChars:
                    throw new RequestFailedException(400, $"The property '{name}' holds {text.Length} characters; at most {MaxStringChars}.", "PropertyValueTooLarge", null);
                case string text:
                    bytes += 4 + 2 * text.Length;
                    break;
                case byte[] binary when binary.Length > MaxBinaryBytes:
                    throw new RequestFailedException(400, $"The property '{name}' holds {binary.Length} bytes; at most {MaxBinaryBytes}.", "PropertyValueTooLarge", null);
                case byte[] binary:
                    bytes += 4 + binary.Length;
                    break;
                case BinaryData data when data.ToMemory().Length > MaxBinaryBytes:
                    throw new RequestFailedException(400, $"The property '{name}' holds {data.ToMemory().Length} bytes; at most {MaxBinaryBytes}.", "PropertyValueTooLarge", null);
                case BinaryData data:
                    bytes += 4 + data.ToMemory().Length;
                    break;
                default:
                    bytes += 8;
                    break;
            }
        }

        if (properties > MaxProperties)
        {
            throw new RequestFailedException(400, $"The entity has {properties} properties; at most {MaxProperties}.", "TooManyProperties", null);
        }

        if (bytes > MaxEntityBytes)
        {
            throw new RequestFailedException(400, $"The entity is about {bytes} bytes; at most {MaxEntityBytes}.", "EntityTooLarge", null);
        }
    }

    private static TableEntity Copy(ITableEntity entity)
    {
        var source = (TableEntity)entity;
        var copy = new TableEntity(source.PartitionKey, source.RowKey) { ETag = source.ETag, Timestamp = source.Timestamp };
        foreach (var (name, value) in source)
        {
            if (name is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag"))
            {
                copy[name] = value is byte[] binary ? binary.ToArray() : value;
            }
        }

        return copy;
    }

    private static TableEntity Merge(TableEntity current, ITableEntity changes)
    {
        var merged = Copy(current);
        foreach (var (name, value) in Copy(changes))
        {
            if (name is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag"))
            {
                merged[name] = value;
            }
        }

        return merged;
    }

    private static T As<T>(TableEntity entity) =>
        entity is T typed ? typed : throw new NotSupportedException("InMemoryTable reads TableEntity only.");

    private static TableTransactionFailedException Failed(int index, int status, string? errorCode, string message)
    {
        var failure = new RequestFailedException(status, string.Create(CultureInfo.InvariantCulture, $"{index}:{message}"), errorCode, null);
        failure.Data[FailedEntityData] = index.ToString(CultureInfo.InvariantCulture);
        return new TableTransactionFailedException(failure);
    }

    private sealed class NoEntity<T> : NullableResponse<T>
    {
        public override bool HasValue => false;

        public override T? Value => throw new InvalidOperationException("The entity does not exist.");

        public override Response GetRawResponse() => new InMemoryResponse(404, null);
    }

    /// <summary>An answer as the SDK hands it on: a status, and the entity's new ETag as a header.</summary>
    private sealed class InMemoryResponse(int status, ETag? etag) : Response
    {
        public override int Status => status;

        public override string ReasonPhrase => status switch { 200 => "OK", 202 => "Accepted", 204 => "No Content", _ => "Not Found" };

        public override Stream? ContentStream { get; set; }

        public override string ClientRequestId { get; set; } = string.Empty;

        public override void Dispose()
        {
        }

        protected override bool ContainsHeader(string name) => TryGetHeader(name, out _);

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => etag is { } value ? [new HttpHeader(HttpHeader.Names.ETag, value.ToString())] : [];

        protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value)
        {
            value = etag is { } tag && string.Equals(name, HttpHeader.Names.ETag, StringComparison.OrdinalIgnoreCase) ? tag.ToString() : null;
            return value is not null;
        }

        protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
        {
            values = TryGetHeader(name, out var value) ? [value] : null;
            return values is not null;
        }
    }
}
