using System.Text;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Idempotency.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Payments.Testing;

namespace Idempotency.Tables.Tests;

/// <summary>
/// The idempotency layer over its own Azurite table, with a fault injector and a transaction counter in the pipeline
/// (injector first: a fault before sending is not counted, one after sending is), and a clock the test moves: its
/// timers fire only when the test advances it, so a duplicate waiting for an in-flight attempt waits on <see cref="Time"/>.
/// </summary>
public sealed class IdempotencyHarness
{
    private IdempotencyHarness(TableClient table, TableClient plainTable, IdempotencyOptions options, StorageFaultInjector faults,
        StorageTransactionCounter counter, FakeTimeProvider time)
    {
        Table = table;
        PlainTable = plainTable;
        Options = options;
        Faults = faults;
        Counter = counter;
        Time = time;
        Store = new IdempotencyStore(table, options, time, NullLogger<IdempotencyStore>.Instance, Metrics);
        Stores = new IdempotencyStores(table.Name, _ => Store);
        ProcessorLogger = new FakeLogger<IdempotentRequestProcessor>();
        Processor = new IdempotentRequestProcessor(Stores, Microsoft.Extensions.Options.Options.Create(options), time, ProcessorLogger, Metrics);
        Reaper = new IdempotencyReaper(Stores, Microsoft.Extensions.Options.Options.Create(options), time, NullLogger<IdempotencyReaper>.Instance);
    }

    public const string Subject = "merchant-1";

    /// <summary>The table as the app sees it: through the injector and the counter.</summary>
    public TableClient Table { get; }

    /// <summary>The same table without any test policy, for the test's own reads and writes.</summary>
    public TableClient PlainTable { get; }

    public IdempotencyOptions Options { get; }

    public StorageFaultInjector Faults { get; }

    public StorageTransactionCounter Counter { get; }

    public FakeTimeProvider Time { get; }

    /// <summary>This harness's own instruments, so a test counts only its own outcomes while others run beside it.</summary>
    public IdempotencyMetrics Metrics { get; } = new(meterFactory: null);

    public IdempotencyStore Store { get; }

    public IdempotencyStores Stores { get; }

    public IdempotentRequestProcessor Processor { get; }

    public FakeLogger<IdempotentRequestProcessor> ProcessorLogger { get; }

    public IdempotencyReaper Reaper { get; }

    public static async Task<IdempotencyHarness> CreateAsync(
        AzuriteFixture azurite, Action<IdempotencyOptions>? configure = null, params HttpPipelinePolicy[] extraPolicies)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        var plain = await azurite.CreateTableAsync("idem");
        var options = new IdempotencyOptions();
        configure?.Invoke(options);
        var faults = new StorageFaultInjector();
        var counter = new StorageTransactionCounter();
        var table = azurite.CreateClients([.. extraPolicies, faults, counter]).GetTableClient(plain.Name);
        return new IdempotencyHarness(table, plain, options, faults, counter, new FakeTimeProvider());
    }

    /// <summary>
    /// Moves <see cref="Time"/> on in small steps until <paramref name="waiting"/> completes: a duplicate waiting for an
    /// in-flight attempt backs off on this clock, so it re-claims only when the test lets time pass.
    /// </summary>
    public async Task<T> AdvanceUntilCompletedAsync<T>(Task<T> waiting)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        await Eventually.TrueAsync(() =>
        {
            if (!waiting.IsCompleted)
            {
                Time.Advance(TimeSpan.FromMilliseconds(25));
            }

            return waiting.IsCompleted;
        }, "the waiting duplicates answered");
        return await waiting;
    }

    public static IdempotentRequest Request(string? key, string body = """{"amount":1999,"currency":"EUR"}""", string subject = Subject,
        string path = "/api/v1/payments", string method = "POST", string? contentType = "application/json") =>
        new(subject, key, method, path, contentType, Encoding.UTF8.GetBytes(body));

    public static HandlerResult Created(string id, ResponseRetention retention = ResponseRetention.Default) =>
        new(201, [new("Location", "/api/v1/payments/" + id), new("Content-Type", "application/json"), new("Date", DateTimeOffset.UtcNow.ToString("R"))],
            Encoding.UTF8.GetBytes($$"""{"id":"{{id}}","status":"pending"}"""))
        { Retention = retention };

    public static string Text(ReadOnlyMemory<byte> body) => Encoding.UTF8.GetString(body.Span);
}

/// <summary>A handler that counts how often it really ran and answers 201 with a fresh resource id each time.</summary>
public sealed class CountingHandler
{
    private int _executions;

    public int Executions => Volatile.Read(ref _executions);

    public Func<IdempotencyLease, CancellationToken, Task<HandlerResult>> Handle => (_, _) =>
    {
        var n = Interlocked.Increment(ref _executions);
        return Task.FromResult(IdempotencyHarness.Created("pay_" + n));
    };
}
