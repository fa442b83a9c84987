using Azure.Data.Tables;
using Payments.Core.Storage;
using Payments.LoadDriver;
using Payments.Testing;

namespace Payments.Functions.Tests.EndToEnd.Load;

/// <summary>The app with its processing paused, as the benchmark's "POST, processing paused" scenario runs it.</summary>
public sealed class PausedProcessingAppFixture : PaymentsAppFixture
{
    protected override void Configure(Dictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["AzureWebJobs.ProcessPayment.Disabled"] = "true";
        settings["AzureWebJobs.SweepPendingPayments.Disabled"] = "true";
    }
}

/// <summary>
/// The benchmark's raw baselines (<see cref="RawPaymentStorage"/>) against the app itself, for one payment: the same
/// table requests by kind (the app's counted on the wire by the strict guard's proxy, the baseline's by the SDK
/// counter), the same queue messages, and as many entities left behind. A ratio to a baseline that does less work
/// than the app would flatter nobody but would mislead everybody.
/// </summary>
public sealed class RawAcceptParityTests(PausedProcessingAppFixture fixture) : IClassFixture<PausedProcessingAppFixture>
{
    [Fact]
    public async Task AcceptAsync_WhenComparedWithOnePostOfTheApp_ShouldMakeTheSameStorageRequestsAndWriteAsManyEntities()
    {
        var settings = fixture.Settings;
        settings.StorageGuard.Reset();

        using var response = await fixture.App.SendAsync(HttpMethod.Post, "/api/v1/payments", settings.Token("raw-parity"),
            """{"amount":1999,"currency":"EUR","source":"tok_visa"}""", "raw-parity-" + Guid.NewGuid().ToString("N"));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var appTables = settings.StorageGuard.Reset();
        var appMessages = (await settings.QueuedMessagesAsync()).Count;
        var appEntities = await settings.CountAsync(settings.Tables.PaymentsTable);

        await using var raw = await RawStorage.CreateAsync(settings.ConnectionString);
        await raw.Storage.AcceptAsync(CancellationToken.None);
        var rawRequests = raw.Counter.Reset();

        Assert.Equal(TableRequests(appTables.ByOperation), TableRequests(rawRequests.ByOperation));
        Assert.Equal(1, appMessages);
        Assert.Equal(appMessages, rawRequests[StorageOperation.QueueMessage]);
        Assert.Equal(appEntities, await RawStorage.CountAsync(raw.Storage.Payments));
    }

    internal static string TableRequests(IReadOnlyDictionary<StorageOperation, long> byOperation) =>
        string.Join(", ", byOperation.Where(p => p.Key is not StorageOperation.QueueMessage and not StorageOperation.TableCreate && p.Value > 0)
            .OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"));
}

public sealed class RawPipelineParityTests(PaymentsAppFixture fixture) : IClassFixture<PaymentsAppFixture>
{
    [Fact]
    public async Task ProcessOneAsync_WhenComparedWithOnePaymentAcceptedAndChargedByTheApp_ShouldMakeTheSameStorageRequestsAndWriteAsManyEntities()
    {
        var settings = fixture.Settings;
        settings.StorageGuard.Reset();

        using var response = await fixture.App.SendAsync(HttpMethod.Post, "/api/v1/payments", settings.Token("raw-parity"),
            """{"amount":1999,"currency":"EUR","source":"tok_visa"}""", "raw-parity-" + Guid.NewGuid().ToString("N"));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var id = response.Headers.Location!.ToString().Split('/')[^1];
        // Read straight from Azurite, not through the app or its proxy: the wait must not add to the app's count.
        var payments = settings.Table(settings.Tables.PaymentsTable);
        await Eventually.TrueAsync(async () =>
            (await payments.GetEntityAsync<TableEntity>(id[4..7], id)).Value.GetString("Status") == "Succeeded"
            && (await settings.QueuedMessagesAsync()).Count == 0
            && (await settings.Queue(settings.Tables.PaymentsQueue).GetPropertiesAsync()).Value.ApproximateMessagesCount == 0,
            "the payment is charged and its message deleted");
        var appTables = settings.StorageGuard.Reset();
        var appEntities = await settings.CountAsync(settings.Tables.PaymentsTable);
        var appLedger = await settings.CountAsync(settings.Tables.LedgerTable);

        await using var raw = await RawStorage.CreateAsync(settings.ConnectionString);
        await raw.Storage.AcceptAsync(CancellationToken.None);
        Assert.True(await raw.Storage.ProcessOneAsync(TimeSpan.FromMinutes(10), CancellationToken.None));
        var rawRequests = raw.Counter.Reset();

        Assert.Equal(RawAcceptParityTests.TableRequests(appTables.ByOperation), RawAcceptParityTests.TableRequests(rawRequests.ByOperation));
        // The queue: the app's enqueue, the host trigger's receive and its delete (the message is gone), one each.
        Assert.Equal(3, rawRequests[StorageOperation.QueueMessage]);
        Assert.Equal(appEntities, await RawStorage.CountAsync(raw.Storage.Payments));
        Assert.Equal(appLedger, await RawStorage.CountAsync(raw.Storage.Ledger));
        Assert.Equal(0, (await raw.Storage.Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }
}

/// <summary>Baseline tables and queue of their own on the tests' Azurite, every request counted.</summary>
internal sealed class RawStorage : IAsyncDisposable
{
    private RawStorage(RawPaymentStorage storage, StorageTransactionCounter counter)
    {
        Storage = storage;
        Counter = counter;
    }

    public RawPaymentStorage Storage { get; }

    public StorageTransactionCounter Counter { get; }

    public static async Task<RawStorage> CreateAsync(string connectionString)
    {
        var counter = new StorageTransactionCounter();
        var clients = new StorageClientFactory(new StorageConnection.ConnectionString(connectionString), [counter]);
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var storage = new RawPaymentStorage(clients.GetTableClient("rawpay" + suffix), clients.GetTableClient("rawledger" + suffix), clients.GetQueueClient("rawq-" + suffix));
        await storage.Payments.CreateIfNotExistsAsync();
        await storage.Ledger.CreateIfNotExistsAsync();
        await storage.Queue.CreateIfNotExistsAsync();
        counter.Reset();
        return new RawStorage(storage, counter);
    }

    public static async Task<int> CountAsync(TableClient table)
    {
        var count = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>(select: ["PartitionKey"]))
        {
            count++;
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        await Storage.Payments.DeleteAsync();
        await Storage.Ledger.DeleteAsync();
        await Storage.Queue.DeleteAsync();
    }
}
