using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Payments;
using Payments.Core.Tests.Infrastructure;

namespace Payments.Core.Tests.Payments;

[Collection(AzuriteCollection.Name)]
public sealed class PendingPaymentSweeperTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);
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
        _sweeper = new PendingPaymentSweeper(_payments, new PaymentMessageSender(_queue, _queue), TimeProvider.System, NullLogger<PendingPaymentSweeper>.Instance);
    }

    public Task DisposeAsync() => _queue.DeleteIfExistsAsync();

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

        var result = await _sweeper.SweepAsync(StaleAfter, 100, CancellationToken.None);

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

    private async Task<Payment> InsertAsync(PaymentStatus status, TimeSpan enqueuedAgo)
    {
        var now = DateTimeOffset.UtcNow;
        var payment = new Payment(PaymentId.New(Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..3]), "merchant-1", 500, "EUR",
            "tok_visa", null, null, new Dictionary<string, string>(), status, null, now - enqueuedAgo, now - enqueuedAgo, now - enqueuedAgo, default);
        await _table.SubmitTransactionAsync(PaymentIndex.Insert(payment));
        return payment;
    }
}
