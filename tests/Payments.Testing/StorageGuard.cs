using System.Collections.Concurrent;
using System.Text.Json;
using System.Web;

namespace Payments.Testing;

/// <summary>
/// A cross-partition query allowed by name and up to a bound. No job of the app needs one (docs/scale.md: the outbox
/// completer and the reaper read one RowKey range per partition), so the guard has none by default; this exists for a
/// test that proves the mechanism, and for a job that would ever need one to be named and bounded, never silent.
/// </summary>
public sealed record StorageGuardAllowance(string Name, Func<string, string, bool> Matches, int MaxRequests);

/// <summary>
/// The strict storage guard: looks at every storage request a client (<see cref="StrictStoragePolicy"/>) or the app's
/// worker process (<see cref="StorageProxy"/>) sends, fails any table query that breaks contract rule 1 (one partition
/// by key, RowKey ranges only) unless a named allowance covers it, and any entity group transaction that spans
/// partitions (<see cref="TableBatchRule"/>), and counts requests per operation and entities read,
/// so tests can assert budgets. Thread-safe.
/// </summary>
public sealed class StorageGuard(IEnumerable<StorageGuardAllowance>? allowances = null)
{
    private readonly IReadOnlyList<StorageGuardAllowance> _allowances = allowances?.ToArray() ?? [];
    private readonly ConcurrentDictionary<string, int> _allowanceUse = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly object _countLock = new();
    private Dictionary<StorageOperation, long> _byOperation = [];
    private long _entitiesRead;

    public IReadOnlyCollection<string> Violations => _violations;

    /// <summary>How often each allowance was used, for reports and for asserting a job stayed inside its bound.</summary>
    public IReadOnlyDictionary<string, int> AllowanceUse => new Dictionary<string, int>(_allowanceUse, StringComparer.Ordinal);

    /// <summary>Counts the request and checks it; returns why it breaks the rule, or null when it may go ahead.</summary>
    /// <param name="inspectionByTest">The test asserting what was stored: neither counted nor judged.</param>
    /// <param name="body">The request's body; a <c>$batch</c> is judged by it (one partition per transaction).</param>
    public string? Inspect(string httpMethod, string uriPath, string? uriQuery, bool inspectionByTest = false, ReadOnlyMemory<byte> body = default)
    {
        ArgumentNullException.ThrowIfNull(httpMethod);
        ArgumentNullException.ThrowIfNull(uriPath);
        if (inspectionByTest)
        {
            return null; // the test's own look at storage is neither the app's cost nor bound by its rule
        }

        var operation = StorageOperations.Classify(httpMethod, uriPath);
        lock (_countLock)
        {
            _byOperation[operation] = _byOperation.GetValueOrDefault(operation) + 1;
        }

        if (operation == StorageOperation.TableBatch)
        {
            return TableBatchRule.Check(body.Span) is { } batchProblem ? Record($"Cross-partition batch: {batchProblem}.") : null;
        }

        if (operation != StorageOperation.TableQuery)
        {
            return null;
        }

        // Entity queries address "/table()"; a GET on "/Tables" lists tables and reads no entities.
        var segment = uriPath.TrimEnd('/')[(uriPath.TrimEnd('/').LastIndexOf('/') + 1)..];
        if (!segment.EndsWith("()", StringComparison.Ordinal))
        {
            return null;
        }

        var table = Uri.UnescapeDataString(segment[..^2]);
        var filter = HttpUtility.ParseQueryString(uriQuery ?? string.Empty)["$filter"];
        var problem = TableQueryRule.Check(filter);
        if (problem is null)
        {
            return null;
        }

        foreach (var allowance in _allowances)
        {
            if (filter is not null && allowance.Matches(table, filter))
            {
                var used = _allowanceUse.AddOrUpdate(allowance.Name, 1, (_, n) => n + 1);
                if (used <= allowance.MaxRequests)
                {
                    return null;
                }

                problem = $"allowance '{allowance.Name}' is exhausted ({allowance.MaxRequests} requests) and {problem}";
                break;
            }
        }

        return Record($"Cross-partition query on table '{table}': {problem}.");
    }

    private string Record(string violation)
    {
        _violations.Enqueue(violation);
        return violation;
    }

    /// <summary>Counts the entities in a table query's JSON answer (its "value" array).</summary>
    public void RecordQueryAnswer(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            return;
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("value", out var value)
                && value.ValueKind == JsonValueKind.Array)
            {
                Interlocked.Add(ref _entitiesRead, value.GetArrayLength());
            }
        }
        catch (JsonException)
        {
            // Not a JSON answer (an error page): it read no entities.
        }
    }

    public StorageGuardSnapshot Snapshot()
    {
        lock (_countLock)
        {
            return new StorageGuardSnapshot(new Dictionary<StorageOperation, long>(_byOperation), Interlocked.Read(ref _entitiesRead));
        }
    }

    /// <summary>Starts a new count and returns what was counted until now; violations are kept.</summary>
    public StorageGuardSnapshot Reset()
    {
        lock (_countLock)
        {
            var snapshot = new StorageGuardSnapshot(_byOperation, Interlocked.Exchange(ref _entitiesRead, 0));
            _byOperation = [];
            return snapshot;
        }
    }

    /// <summary>Fails with every violation seen, including those the code under test caught and swallowed.</summary>
    public void ThrowIfViolated()
    {
        if (!_violations.IsEmpty)
        {
            throw new StorageGuardViolationException(
                $"{_violations.Count} storage request(s) broke the strict storage guard's rules:{Environment.NewLine}{string.Join(Environment.NewLine, _violations.Distinct())}");
        }
    }
}

public sealed record StorageGuardSnapshot(IReadOnlyDictionary<StorageOperation, long> ByOperation, long EntitiesRead)
{
    public long Total => ByOperation.Values.Sum();

    public long this[StorageOperation operation] => ByOperation.TryGetValue(operation, out var count) ? count : 0;

    public override string ToString() =>
        $"{Total} requests ({string.Join(", ", ByOperation.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}), {EntitiesRead} entities read";
}

public sealed class StorageGuardViolationException : Exception
{
    public StorageGuardViolationException()
    {
    }

    public StorageGuardViolationException(string message)
        : base(message)
    {
    }

    public StorageGuardViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
