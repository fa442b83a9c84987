using System.Collections.Concurrent;

namespace Idempotency.Tables;

/// <summary>One <see cref="IdempotencyStore"/> per table: the default idempotency table, or a resource's own table.</summary>
public sealed class IdempotencyStores
{
    private readonly ConcurrentDictionary<string, IdempotencyStore> _stores = new(StringComparer.Ordinal);
    private readonly Func<string, IdempotencyStore> _create;

    public IdempotencyStores(string defaultTable, Func<string, IdempotencyStore> create)
    {
        ArgumentException.ThrowIfNullOrEmpty(defaultTable);
        DefaultTable = defaultTable;
        _create = create ?? throw new ArgumentNullException(nameof(create));
    }

    public string DefaultTable { get; }

    public IdempotencyStore Get(string? table = null) => _stores.GetOrAdd(table ?? DefaultTable, _create);
}
