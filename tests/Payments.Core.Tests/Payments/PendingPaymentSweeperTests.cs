using Azure.Data.Tables;
using Azure.Storage.Queues;
using Idempotency.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Payments;
using Payments.Core.Storage;
using Payments.Core.Tests.Infrastructure;
using Payments.Testing;
using Xunit.Abstractions;

namespace Payments.Core.Tests.Payments;

[Collection(AzuriteCollection.Name)]
public sealed class PendingPaymentSweeperTests(AzuriteFixture azurite, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);

    /// <summary>Counts and judges what the sweeper alone sends: no allowance, so any cross-partition query fails the test.</summary>
    private readonly StorageGuard _sweeperCost = new([]);

    private TableClient _table = null!;
    private QueueClient _queue = null!;
    private PaymentRepository _payments = null!;
    private PendingPaymentSweeper _sweeper = null!;

    public async Task InitializeAsync()
    {
        _table = await azurite.CreateTableAsync("sweeppayments");
        _queue = azurite.CreateClients().GetQueueClient(AzuriteFixture.UniqueName("sweep"));
        await _queue.CreateIfNotExistsAsync();
        _payments = new PaymentRepository(_table, TimeProvider.System);
        var guarded = new PaymentRepository(azurite.CreateClients(new StrictStoragePolicy(_sweeperCost)).GetTableClient(_table.Name), TimeProvider.System);
        _sweeper = new PendingPaymentSweeper(guarded, new PaymentMessageSender(_queue), TimeProvider.System, NullLogger<PendingPaymentSweeper>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _queue.DeleteIfExistsAsync();
        await _table.DeleteAsync();
        _sweeperCost.ThrowIfViolated();
    }

    [Fact]
    public async Task SweepAsync_WhenAPaymentWasWrittenButNeverEnqueued_ShouldEnqueueItOnce()
    {
        var stranded = await InsertAsync(PaymentStatus.Pending, enqueuedAgo: TimeSpan.FromMinutes(10));

        var first = await _sweeper.SweepAsync(StaleAfter, 100, CancellationToken.None);
        var second = await _sweeper.SweepAsync(StaleAfter, 100, CancellationToken.None);

        Assert.Equal(1, first.Requeued);
        Assert.Equal(0, second.Requeued);
        var messages = (await _queue.ReceiveMessagesAsync(32)).Value;
        var message = Assert.Single(messages);
        Assert.True(PaymentMessage.TryParse(message.Body.ToString(), out var parsed, out _));
        Assert.Equal(stranded.Id, parsed!.PaymentId);
    }

    [Fact]
    public async Task SweepAsync_WhenPaymentsAreFreshOrPastPending_ShouldLeaveThemAlone()
    {
        await InsertAsync(PaymentStatus.Pending, enqueuedAgo: TimeSpan.FromSeconds(5));
        await InsertAsync(PaymentStatus.Processing, enqueuedAgo: TimeSpan.FromMinutes(10));
        await InsertAsync(PaymentStatus.Succeeded, enqueuedAgo: TimeSpan.FromMinutes(10));
        var moved = await InsertAsync(PaymentStatus.Pending, enqueuedAgo: TimeSpan.FromMinutes(10));
        Assert.IsType<PaymentChange.Changed>(await _payments.MoveAsync(moved, PaymentStatus.Processing, null, CancellationToken.None));

        var result = await _sweeper.SweepAsync(StaleAfter, 100, CancellationToken.None);

        Assert.Equal(0, result.Examined);
        Assert.Equal(0, result.Requeued);
        Assert.Empty((await _queue.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task SweepAsync_WhenMoreAreStrandedThanTheBatch_ShouldStopAtTheBatchSize()
    {
        for (var i = 0; i < 5; i++)
        {
            await InsertAsync(PaymentStatus.Pending, enqueuedAgo: TimeSpan.FromMinutes(10));
        }

        var first = await _sweeper.SweepAsync(StaleAfter, 3, CancellationToken.None);
        var second = await _sweeper.SweepAsync(StaleAfter, 3, CancellationToken.None);

        Assert.Equal(3, first.Requeued);
        Assert.Equal(2, second.Requeued);
    }

    [Fact]
    public async Task SweepAsync_WhenTheTableHoldsOverAThousandCompletedPayments_ShouldReadOnlyTheCandidates()
    {
        // Completed history: 1,000 payments settled without ever being stranded, and 40 that went pending, processing,
        // succeeded through the processor's moves (their due entries deleted on the way), over the first 16 partitions.
        for (var shard = 0; shard < 16; shard++)
        {
            var settled = Enumerable.Range(0, 1000 / 16 + 1).Select(_ => NewPayment(SubjectPartitions.At(shard), PaymentStatus.Succeeded, TimeSpan.FromHours(1))).ToList();
            foreach (var chunk in settled.Chunk(30))
            {
                await _table.SubmitTransactionAsync(chunk.SelectMany(PaymentIndex.Insert));
            }
        }

        for (var i = 0; i < 40; i++)
        {
            var payment = await InsertAsync(PaymentStatus.Pending, TimeSpan.FromHours(1), SubjectPartitions.At(i % 16));
            var processing = Assert.IsType<PaymentChange.Changed>(await _payments.MoveAsync(payment, PaymentStatus.Processing, null, CancellationToken.None)).Payment;
            Assert.IsType<PaymentChange.Changed>(await _payments.MoveAsync(processing, PaymentStatus.Succeeded, null, CancellationToken.None));
        }

        var fresh = await InsertAsync(PaymentStatus.Pending, TimeSpan.FromSeconds(5), SubjectPartitions.At(2));
        var stranded = new List<Payment>();
        foreach (var partition in new[] { 1, 7, 7 })
        {
            stranded.Add(await InsertAsync(PaymentStatus.Pending, TimeSpan.FromMinutes(10), SubjectPartitions.At(partition)));
        }

        _sweeperCost.Reset();

        var result = await _sweeper.SweepAsync(StaleAfter, 100, maxPartitions: 16, CancellationToken.None);
        var cost = _sweeperCost.Reset();
        output.WriteLine($"sweep over 16 partitions holding {1000 / 16 * 16 + 16 + 40} completed payments and 3 candidates: {cost}");

        Assert.Equal(3, result.Requeued);
        Assert.Equal(3, result.Examined);
        Assert.Equal(16, result.PartitionsRead);
        Assert.Equal(3, cost.EntitiesRead); // the candidates' due entries, nothing else
        Assert.Equal(16, cost[StorageOperation.TableQuery]); // one range query per partition
        Assert.Equal(3, cost[StorageOperation.TableBatch]); // one re-arm per candidate
        Assert.Equal(16 + 3 + 2, cost.Total); // + checkpoint read and write (the enqueues go to the queue client, not counted here)
        var enqueued = (await _queue.ReceiveMessagesAsync(32)).Value
            .Select(m => PaymentMessage.TryParse(m.Body.ToString(), out var parsed, out _) ? parsed!.PaymentId : default).ToHashSet();
        Assert.Equal(stranded.Select(p => p.Id).ToHashSet(), enqueued);
        Assert.DoesNotContain(fresh.Id, enqueued);
    }

    [Fact]
    public async Task SweepAsync_WhenARunStopsAtItsBatch_ShouldResumeWhereItStopped()
    {
        var stranded = new List<Payment>();
        foreach (var partition in new[] { 1, 1, 3, 3, 5, 5 })
        {
            stranded.Add(await InsertAsync(PaymentStatus.Pending, TimeSpan.FromMinutes(10), SubjectPartitions.At(partition)));
        }

        var first = await _sweeper.SweepAsync(StaleAfter, maxPayments: 3, maxPartitions: 32, CancellationToken.None);
        _sweeperCost.Reset();
        var second = await _sweeper.SweepAsync(StaleAfter, maxPayments: 3, maxPartitions: 32, CancellationToken.None);
        var secondCost = _sweeperCost.Reset();
        var third = await _sweeper.SweepAsync(StaleAfter, maxPayments: 3, maxPartitions: 2, CancellationToken.None);

        // The first run fills its batch in partition 003 (one wave of 16 partitions queried) and stops there.
        Assert.Equal((3, 16, "003"), (first.Requeued, first.PartitionsRead, first.NextPartition));
        // The second run starts at the partition the first left with a candidate in it, not at the beginning, reads
        // only the 3 candidates left, and ends past the partition it drained.
        Assert.Equal((3, 16, "006"), (second.Requeued, second.PartitionsRead, second.NextPartition));
        Assert.Equal(3, secondCost.EntitiesRead);
        Assert.Equal((0, 2, "008"), (third.Requeued, third.PartitionsRead, third.NextPartition));
        var enqueued = new List<PaymentId>();
        foreach (var message in (await _queue.ReceiveMessagesAsync(32)).Value)
        {
            Assert.True(PaymentMessage.TryParse(message.Body.ToString(), out var parsed, out _));
            enqueued.Add(parsed!.PaymentId);
        }

        Assert.Equal(stranded.Select(p => p.Id.Value).Order(StringComparer.Ordinal), enqueued.Select(id => id.Value).Order(StringComparer.Ordinal));
    }

    private async Task<Payment> InsertAsync(PaymentStatus status, TimeSpan enqueuedAgo, string? partition = null)
    {
        var payment = NewPayment(partition ?? Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..3], status, enqueuedAgo);
        var response = await _table.SubmitTransactionAsync(PaymentIndex.Insert(payment));
        return payment with { ETag = response.Value[0].Headers.ETag ?? default };
    }

    private static Payment NewPayment(string partition, PaymentStatus status, TimeSpan enqueuedAgo)
    {
        var at = DateTimeOffset.UtcNow - enqueuedAgo;
        return new Payment(PaymentId.New(partition), "merchant-1", 500, "EUR", "tok_visa", null, null, new Dictionary<string, string>(),
            status, null, at, at, at, default);
    }
}
