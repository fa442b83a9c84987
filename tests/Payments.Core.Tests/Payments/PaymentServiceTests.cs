using Azure.Data.Tables;
using Azure.Storage.Queues;
using Idempotency.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Customers;
using Payments.Core.Payments;
using Payments.Core.Storage;
using Payments.Testing;
using Payments.Core.Tests.Infrastructure;

namespace Payments.Core.Tests.Payments;

[Collection(AzuriteCollection.Name)]
public sealed class PaymentServiceTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private TableClient _table = null!;
    private QueueClient _queue = null!;
    private PaymentRepository _payments = null!;
    private CustomerService _customers = null!;

    public async Task InitializeAsync()
    {
        _table = await azurite.CreateTableAsync("acceptpayments");
        _queue = azurite.CreateClients().GetQueueClient(AzuriteFixture.UniqueName("accept"));
        await _queue.CreateIfNotExistsAsync();
        _payments = new PaymentRepository(_table, TimeProvider.System);
        _customers = new CustomerService(_table, TimeProvider.System, NullLogger<CustomerService>.Instance);
    }

    public Task DisposeAsync() => _queue.DeleteIfExistsAsync();

    private PaymentService Service(QueueClient queue) =>
        new(_payments, new PaymentMessageSender(queue), _customers, TimeProvider.System, NullLogger<PaymentService>.Instance);

    private static PaymentId NewId() => PaymentId.New(SubjectPartitions.For("merchant-1", Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())));

    private static CreatePaymentRequest Request(string? customerId = null) => new(1999, "EUR", "tok_visa", customerId, "Order 1", null);

    [Fact]
    public async Task AcceptAsync_WhenRequestIsValid_ShouldStorePendingPaymentAndEnqueueItsMessage()
    {
        var id = NewId();

        var outcome = await Service(_queue).AcceptAsync("merchant-1", id, Request(), PlainCommit.To<Payment>(_table), CancellationToken.None);

        Assert.Equal(PaymentStatus.Pending, Assert.IsType<AcceptOutcome.Accepted>(outcome).Payment.Status);
        Assert.Equal(PaymentStatus.Pending, (await _payments.FindAsync(id, CancellationToken.None))!.Status);
        var message = Assert.Single((await _queue.ReceiveMessagesAsync(32)).Value);
        Assert.True(PaymentMessage.TryParse(message.Body.ToString(), out var parsed, out _));
        Assert.Equal(id, parsed!.PaymentId);
    }

    [Fact]
    public async Task AcceptAsync_WhenCustomerBelongsToNobodyOrSomeoneElse_ShouldRefuseAndStoreNothing()
    {
        var theirs = Assert.IsType<CustomerOutcome.Done>(await _customers.CreateAsync("merchant-2",
            CustomerId.New("abc"), new CustomerRequest("c@example.com", "C"), PlainCommit.To<Customer>(_table), CancellationToken.None)).Customer;
        var id = NewId();

        var outcome = await Service(_queue).AcceptAsync("merchant-1", id, Request(theirs.Id.Value), PlainCommit.To<Payment>(_table), CancellationToken.None);

        Assert.IsType<AcceptOutcome.UnknownCustomer>(outcome);
        Assert.Null(await _payments.FindAsync(id, CancellationToken.None));
        Assert.Empty((await _queue.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task AcceptAsync_WhenEnqueueFailsAfterTheWrite_ShouldStillAcceptAndTheSweeperShouldEnqueueIt()
    {
        var missingQueue = azurite.CreateClients().GetQueueClient(AzuriteFixture.UniqueName("missing"));
        var id = NewId();

        var outcome = await Service(missingQueue).AcceptAsync("merchant-1", id, Request(), PlainCommit.To<Payment>(_table), CancellationToken.None);

        Assert.IsType<AcceptOutcome.Accepted>(outcome);
        var sweeper = new PendingPaymentSweeper(_payments, new PaymentMessageSender(_queue), TimeProvider.System, NullLogger<PendingPaymentSweeper>.Instance);
        var swept = await sweeper.SweepAsync(TimeSpan.Zero, 100, CancellationToken.None);
        Assert.Equal(1, swept.Requeued);
        var message = Assert.Single((await _queue.ReceiveMessagesAsync(32)).Value);
        Assert.Contains(id.Value, message.Body.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FindAsync_WhenAnotherMerchantAsks_ShouldFindNothing()
    {
        var id = NewId();
        await Service(_queue).AcceptAsync("merchant-1", id, Request(), PlainCommit.To<Payment>(_table), CancellationToken.None);

        Assert.Null(await Service(_queue).FindAsync("merchant-2", id.Value, CancellationToken.None));
        Assert.NotNull(await Service(_queue).FindAsync("merchant-1", id.Value, CancellationToken.None));
        Assert.Null(await Service(_queue).FindAsync("merchant-1", "../" + id.Value, CancellationToken.None));
    }
}
