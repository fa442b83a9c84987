using System.Collections.Concurrent;

namespace Idempotency.Tables;

/// <summary>One <see cref="IdempotencyStore"/> per table: the default idempotency table, or a resource's own table.</summary>
public sealed class IdempotencyStores
{
    private readonly ConcurrentDictionary<string, IdempotencyStore> _stores = new(StringComparer.Ordinal);
    private readonly Func<string, IdempotencyStore> _create;

    /// <summary>Creates the set; <paramref name="create"/> makes the store of a table the first time it is asked for.</summary>
    public IdempotencyStores(string defaultTable, Func<string, IdempotencyStore> create)
    {
        ArgumentException.ThrowIfNullOrEmpty(defaultTable);
        DefaultTable = defaultTable;
        _create = create ?? throw new ArgumentNullException(nameof(create));
    }

    /// <summary>The table of records whose request names none.</summary>
    public string DefaultTable { get; }

    /// <summary>The store of <paramref name="table"/> (null: the default table), one per table.</summary>
    public IdempotencyStore Get(string? table = null) => _stores.GetOrAdd(table ?? DefaultTable, _create);
}
