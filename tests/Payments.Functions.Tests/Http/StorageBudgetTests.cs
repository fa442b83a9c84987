using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Idempotency.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Customers;
using Payments.Core.Payments;
using Payments.Core.Payments.Gateway;
using Payments.Functions.Http.Payments;
using Payments.Functions.Tests.Infrastructure;
using Payments.Testing;
using Xunit.Abstractions;

namespace Payments.Functions.Tests.Http;

/// <summary>
/// The storage budgets, counted request by request on Azurite around the same core calls the functions make:
/// CreatePayment runs <see cref="PaymentEndpoints.CreateAsync"/> inside <see cref="IdempotentRequestProcessor.ProcessAsync"/>
/// (as IdempotencyMiddleware does), GetPayment runs <see cref="PaymentEndpoints.GetAsync"/>, ProcessPayment runs
/// <see cref="PaymentProcessor.ProcessAsync"/>. The host's own dequeue and delete are not the app's and are not counted.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class StorageBudgetTests(AzuriteFixture azurite, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Merchant = "merchant-1";

    /// <summary>Counts every request the app's payments table, customers table and queue clients send.</summary>
    private readonly StorageTransactionCounter _app = new();

    /// <summary>Counts the gateway's ledger requests separately: the budget for processing names them apart.</summary>
    private readonly StorageTransactionCounter _ledger = new();

    private PaymentEndpoints _endpoints = null!;
    private CustomerService _customers = null!;
    private IdempotentRequestProcessor _idempotency = null!;
    private PaymentProcessor _processor = null!;
    private string _paymentsTable = null!;

    public async Task InitializeAsync()
    {
        var plainClients = azurite.CreateClients();
        _paymentsTable = AzuriteFixture.UniqueName("budgetpay");
        var customersTable = AzuriteFixture.UniqueName("budgetcus");
        var ledgerTable = AzuriteFixture.UniqueName("budgetledger");
        var queueName = AzuriteFixture.UniqueName("budget");
        foreach (var table in new[] { _paymentsTable, customersTable, ledgerTable })
        {
            await plainClients.GetTableClient(table).CreateIfNotExistsAsync();
        }

        await plainClients.GetQueueClient(queueName).CreateIfNotExistsAsync();
        await plainClients.GetQueueClient(queueName + "-poison").CreateIfNotExistsAsync();

        var clients = azurite.CreateClients(_app);
        var payments = new PaymentRepository(clients.GetTableClient(_paymentsTable), TimeProvider.System);
        var customers = new CustomerService(clients.GetTableClient(customersTable), TimeProvider.System, NullLogger<CustomerService>.Instance);
        _customers = customers;
        var messages = new PaymentMessageSender(clients.GetQueueClient(queueName));
        var service = new PaymentService(payments, messages, customers, TimeProvider.System, NullLogger<PaymentService>.Instance);
        _endpoints = new PaymentEndpoints(service, new PaymentListing(payments));

        // Payment idempotency records live in the payments table (registered for CreatePayment at start), so the completion rides in the payment's batch.
        var options = new IdempotencyOptions();
        var store = new IdempotencyStore(clients.GetTableClient(_paymentsTable), options, TimeProvider.System, NullLogger<IdempotencyStore>.Instance);
        _idempotency = new IdempotentRequestProcessor(new IdempotencyStores(_paymentsTable, _ => store),
            Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<IdempotentRequestProcessor>.Instance);

        var gateway = new SimulatedPaymentGateway(azurite.CreateClients(_ledger).GetTableClient(ledgerTable), TimeProvider.System);
        _processor = new PaymentProcessor(payments, gateway, NullLogger<PaymentProcessor>.Instance);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task CreatePayment_WhenTheKeyIsNew_ShouldCostTheBatchAndTheEnqueue()
    {
        _app.Reset();

        var response = await CreatePaymentAsync("budget-" + Guid.NewGuid());

        var cost = _app.Snapshot();
        output.WriteLine($"POST /api/v1/payments, new key: {cost}");
        Assert.Equal(202, response.StatusCode);
        Assert.Equal(2, cost.Total);
        Assert.Equal(1, cost[StorageOperation.TableBatch]);
        Assert.Equal(1, cost[StorageOperation.QueueMessage]);
    }

    [Fact]
    public async Task CreatePayment_WhenTheKeyIsNewAndNamesACustomer_ShouldAddOnePointRead()
    {
        var customer = await CreateCustomerAsync();
        _app.Reset();

        var response = await CreatePaymentAsync("budget-" + Guid.NewGuid(), customer);

        var cost = _app.Snapshot();
        output.WriteLine($"POST /api/v1/payments with customerId, new key: {cost}");
        Assert.Equal(202, response.StatusCode);
        Assert.Equal(3, cost.Total);
        Assert.Equal(1, cost[StorageOperation.EntityRead]);
        Assert.Equal(1, cost[StorageOperation.TableBatch]);
        Assert.Equal(1, cost[StorageOperation.QueueMessage]);
    }

    [Fact]
    public async Task CreatePayment_WhenTheKeyIsReplayed_ShouldCostAtMostTwoStorageTransactions()
    {
        var key = "budget-" + Guid.NewGuid();
        var first = await CreatePaymentAsync(key);
        _app.Reset();

        var replay = await CreatePaymentAsync(key);

        var cost = _app.Snapshot();
        output.WriteLine($"POST /api/v1/payments, replayed key: {cost}");
        Assert.Equal(IdempotencyDisposition.Replayed, replay.Disposition);
        Assert.Equal(first.Body.ToArray(), replay.Body.ToArray());
        Assert.True(cost.Total <= 2, $"A replay cost {cost}");
        Assert.Equal(0, cost[StorageOperation.QueueMessage]);
    }

    [Fact]
    public async Task CreatePayment_WhenTheKeyIsReplayedWithACustomer_ShouldCostAtMostThreeStorageTransactions()
    {
        var customer = await CreateCustomerAsync();
        var key = "budget-" + Guid.NewGuid();
        var first = await CreatePaymentAsync(key, customer);
        _app.Reset();

        var replay = await CreatePaymentAsync(key, customer);

        var cost = _app.Snapshot();
        output.WriteLine($"POST /api/v1/payments with customerId, replayed key: {cost}");
        Assert.Equal(IdempotencyDisposition.Replayed, replay.Disposition);
        Assert.Equal(first.Body.ToArray(), replay.Body.ToArray());
        Assert.True(cost.Total <= 3, $"A replay with customerId cost {cost}");
        Assert.Equal(0, cost[StorageOperation.QueueMessage]);
    }

    [Fact]
    public async Task GetPayment_WhenThePaymentExists_ShouldCostOneStorageTransaction()
    {
        var created = await CreatePaymentAsync("budget-" + Guid.NewGuid());
        var id = IdOf(created);
        _app.Reset();

        var answer = await _endpoints.GetAsync(Merchant, id, null, null, CancellationToken.None);

        var cost = _app.Snapshot();
        output.WriteLine($"GET /api/v1/payments/{{id}}: {cost}");
        Assert.Equal(200, answer.StatusCode);
        Assert.Equal(1, cost.Total);
        Assert.Equal(1, cost[StorageOperation.EntityRead]);
    }

    [Fact]
    public async Task ProcessPayment_WhenTheChargeSucceeds_ShouldCostOneReadAndAtMostTwoTableWritesPlusOneLedgerWrite()
    {
        var created = await CreatePaymentAsync("budget-" + Guid.NewGuid());
        var id = IdOf(created);
        _app.Reset();
        _ledger.Reset();

        var outcome = await _processor.ProcessAsync($$"""{"v":1,"paymentId":"{{id}}"}""", CancellationToken.None);

        var payments = _app.Snapshot();
        var ledger = _ledger.Snapshot();
        output.WriteLine($"ProcessPayment (payments table): {payments}; gateway ledger: {ledger}");
        Assert.Equal(PaymentStatus.Succeeded, Assert.IsType<ProcessingOutcome.Settled>(outcome).Payment.Status);
        Assert.True(payments.Total <= 3, $"Processing cost {payments} on the payments table");
        Assert.Equal(1, payments[StorageOperation.EntityRead]);
        Assert.True(payments.Total - payments[StorageOperation.EntityRead] <= 2, $"Processing wrote {payments} on the payments table");
        Assert.Equal(0, payments[StorageOperation.QueueMessage]);
        Assert.Equal(1, ledger.Total);
        Assert.Equal(1, ledger[StorageOperation.EntityInsert]);
    }

    private async Task<string> CreateCustomerAsync()
    {
        var id = CustomerId.New(Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..3]);
        var created = await _customers.CreateAsync(Merchant, id, new CustomerRequest($"{Guid.NewGuid():N}@example.com", "Ada"),
            PlainCommit.To<Customer>(_customers.Table), CancellationToken.None);
        return Assert.IsType<CustomerOutcome.Done>(created).Customer.Id.Value;
    }

    /// <summary>What CreatePayment does behind IdempotencyMiddleware ([Idempotent(Payments, Claimless)]): the endpoint runs as the processor's handler.</summary>
    private Task<IdempotentResponse> CreatePaymentAsync(string key, string? customerId = null)
    {
        var customer = customerId is null ? string.Empty : $$""","customerId":"{{customerId}}" """.TrimEnd();
        var body = Encoding.UTF8.GetBytes($$"""{"amount":1999,"currency":"EUR","source":"tok_visa"{{customer}}}""");
        var request = new IdempotentRequest(Merchant, key, "POST", PaymentEndpoints.CollectionPath, "application/json", body)
        {
            Table = _paymentsTable,
            Mode = IdempotencyMode.Claimless,
        };
        return _idempotency.ProcessAsync(request, async (lease, cancellationToken) =>
        {
            var answer = await _endpoints.CreateAsync(Merchant, lease, new CreatePaymentRequest(1999, "EUR", "tok_visa", customerId, null, null), null, cancellationToken);
            lease.Retention = answer.Retention;
            return new HandlerResult(answer.StatusCode, answer.Headers, answer.Body) { Retention = lease.Retention };
        }, CancellationToken.None);
    }

    private static string IdOf(IdempotentResponse response)
    {
        using var json = System.Text.Json.JsonDocument.Parse(response.Body);
        return json.RootElement.GetProperty("id").GetString()!;
    }
}
