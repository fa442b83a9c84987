using System.Text;
using System.Text.Json;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Idempotency.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Payments.Core.Customers;
using Payments.Core.Payments;
using Payments.Functions.Http;
using Payments.Functions.Http.Customers;
using Payments.Functions.Http.Payments;
using Payments.Functions.Tests.Infrastructure;
using Payments.Testing;

namespace Payments.Functions.Tests.Http;

/// <summary>
/// The two real idempotent handlers (payment accept: claimless; customer create: claim-first) under the processor, as
/// IdempotencyMiddleware runs them, over Azurite, with faults and interleavings forced by test pipeline policies.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class IdempotentHandlerTests(AzuriteFixture azurite)
{
    private const string Merchant = "merchant-1";
    private const string PaymentBody = """{"amount":1999,"currency":"EUR","source":"tok_visa"}""";

    [Fact]
    public async Task CreatePayment_WhenTheCommittedBatchLosesItsAnswer_ShouldAcceptOnceRecognizedByItsAttemptId()
    {
        var app = await App.CreateAsync(azurite);
        var drop = app.Faults.Add(StorageOperation.TableBatch, StorageFaultKind.NetworkError, StorageFaultTiming.AfterSending, times: 1);

        var first = await app.CreatePaymentAsync("lost-answer");
        var retry = await app.CreatePaymentAsync("lost-answer");

        Assert.Equal(1, drop.Hits);
        Assert.Equal(202, first.StatusCode);
        Assert.Equal(IdempotencyDisposition.Executed, first.Disposition);
        Assert.Equal(IdempotencyDisposition.Replayed, retry.Disposition);
        Assert.Equal(first.Body.ToArray(), retry.Body.ToArray());
        Assert.Single(await app.PaymentsAsync());
        Assert.Single((await app.Queue.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task CreateCustomer_WhenTheCommittedBatchLosesItsAnswer_ShouldCreateOnceRecognizedByItsAttemptId()
    {
        var app = await App.CreateAsync(azurite);
        // The second batch: the first is the claim (claim-first), the second the customer's own with the completion.
        var drop = app.Faults.Add(NthRequest.Of(StorageOperation.TableBatch, 2), StorageFaultKind.NetworkError, StorageFaultTiming.AfterSending, times: 1);

        var first = await app.CreateCustomerAsync("lost-answer", "ada@example.com");
        var retry = await app.CreateCustomerAsync("lost-answer", "ada@example.com");

        Assert.Equal(1, drop.Hits);
        Assert.Equal(201, first.StatusCode);
        Assert.Equal(IdempotencyDisposition.Replayed, retry.Disposition);
        Assert.Equal(first.Body.ToArray(), retry.Body.ToArray());
        Assert.Equal([IdOf(first)], await app.CustomerIdsAsync());
    }

    [Fact]
    public async Task CreateCustomer_WhenTheLeaseIsTakenOverBeforeItsBatch_ShouldAnswer409InProgressNotStored()
    {
        App? app = null;
        IdempotentResponse? taker = null;
        // Just before the slow attempt's batch goes out, its lock expires and a retry takes the key over and finishes.
        var slowAttemptsBatch = NthRequest.Of(StorageOperation.TableBatch, 2); // the first is its claim
        var takeover = new RequestHookPolicy(
            message => slowAttemptsBatch(message.Request.Method.Method, message.Request.Uri.Path),
            async () =>
            {
                app!.Time.Advance(app.Options.Lock + TimeSpan.FromSeconds(1));
                taker = await app.CreateCustomerAsync("taken-over", "grace@example.com");
            });
        app = await App.CreateAsync(azurite, takeover);

        var slow = await app.CreateCustomerAsync("taken-over", "grace@example.com");
        var retry = await app.CreateCustomerAsync("taken-over", "grace@example.com");

        Assert.Equal(1, takeover.Fired);
        Assert.Equal(201, taker!.StatusCode);
        Assert.Equal(409, slow.StatusCode);
        Assert.Equal(IdempotencyDisposition.InProgress, slow.Disposition);
        Assert.Equal(ApiProblems.TypeBase + IdempotencyProblems.InProgressName, JsonDocument.Parse(slow.Body).RootElement.GetProperty("type").GetString());
        Assert.Equal(IdempotencyDisposition.Replayed, retry.Disposition);
        Assert.Equal(taker.Body.ToArray(), retry.Body.ToArray());
        Assert.Equal([IdOf(taker)], await app.CustomerIdsAsync());
    }

    [Fact]
    public async Task CreatePayment_WhenTwentyDuplicatesArriveAtOnce_ShouldGiveEveryoneTheWinnersOutcome()
    {
        var app = await App.CreateAsync(azurite);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => app.CreatePaymentAsync("burst"))));

        Assert.All(answers, answer => Assert.Equal(202, answer.StatusCode));
        Assert.Single(answers, answer => answer.Disposition == IdempotencyDisposition.Executed);
        Assert.Single(answers.Select(answer => Encoding.UTF8.GetString(answer.Body.Span)).Distinct());
        Assert.Single(await app.PaymentsAsync());
        Assert.Single((await app.Queue.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task CreatePayment_WhenTheKeyIsReusedForAnotherBody_ShouldAnswer422AndWriteNothing()
    {
        var app = await App.CreateAsync(azurite);
        await app.CreatePaymentAsync("reused");

        var other = await app.CreatePaymentAsync("reused", """{"amount":5,"currency":"EUR","source":"tok_visa"}""");

        Assert.Equal(422, other.StatusCode);
        Assert.Equal(IdempotencyDisposition.Mismatch, other.Disposition);
        Assert.Single(await app.PaymentsAsync());
    }

    [Fact]
    public async Task CreatePayment_WhenTheKeyIsReusedAfterItsRecordExpired_ShouldCreateANewPaymentAndLeaveTheOldOne()
    {
        var app = await App.CreateAsync(azurite);
        var old = await app.CreatePaymentAsync("reuse-expired");
        var oldPayment = Assert.Single(await app.PaymentsAsync());
        app.Time.Advance(app.Options.Retention + TimeSpan.FromSeconds(1));

        var renewed = await app.CreatePaymentAsync("reuse-expired");

        Assert.Equal(202, renewed.StatusCode);
        Assert.Equal(IdempotencyDisposition.Executed, renewed.Disposition);
        Assert.NotEqual(IdOf(old), IdOf(renewed));
        var payments = await app.PaymentsAsync();
        Assert.Equal(2, payments.Count);
        Assert.Equal(oldPayment.ETag, payments.Single(p => p.Id.Value == IdOf(old)).ETag);
    }

    [Fact]
    public async Task CreatePayment_WhenTheKeyIsReusedAfterItsRecordWasReaped_ShouldCreateANewPaymentAndLeaveTheOldOne()
    {
        var app = await App.CreateAsync(azurite);
        var old = await app.CreatePaymentAsync("reuse-reaped");
        var oldPayment = Assert.Single(await app.PaymentsAsync());
        // The reaper reads expiry entries of past hours: a record is reaped within the hour after it expired.
        app.Time.Advance(app.Options.Retention + TimeSpan.FromHours(1));
        Assert.Equal(1, (await app.Reaper.ReapAsync(app.PaymentsTable.Name, CancellationToken.None)).Deleted);

        var renewed = await app.CreatePaymentAsync("reuse-reaped");

        Assert.Equal(IdempotencyDisposition.Executed, renewed.Disposition);
        Assert.NotEqual(IdOf(old), IdOf(renewed));
        Assert.Equal(oldPayment.ETag, (await app.PaymentsAsync()).Single(p => p.Id.Value == IdOf(old)).ETag);
    }

    [Fact]
    public async Task CreateCustomer_WhenTheKeyIsReusedAfterExpiryWithTheSameEmail_ShouldAnswerEmailTakenAndLeaveTheOldCustomer()
    {
        var app = await App.CreateAsync(azurite);
        var old = await app.CreateCustomerAsync("reuse-expired", "lin@example.com");
        app.Time.Advance(app.Options.Retention + TimeSpan.FromSeconds(1));

        var again = await app.CreateCustomerAsync("reuse-expired", "lin@example.com");

        Assert.Equal(409, again.StatusCode);
        Assert.Contains("email-taken", JsonDocument.Parse(again.Body).RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Contains(IdOf(old), Encoding.UTF8.GetString(again.Body.Span), StringComparison.Ordinal);
        Assert.Equal([IdOf(old)], await app.CustomerIdsAsync());
    }

    [Fact]
    public async Task CreateCustomer_WhenTheKeyIsReusedAfterItsRecordWasReaped_ShouldCreateANewCustomerAndLeaveTheOldOne()
    {
        var app = await App.CreateAsync(azurite);
        var old = await app.CreateCustomerAsync("reuse-reaped", "mae@example.com");
        app.Time.Advance(app.Options.Retention + TimeSpan.FromHours(1));
        Assert.Equal(1, (await app.Reaper.ReapAsync(app.CustomersTable.Name, CancellationToken.None)).Deleted);

        var renewed = await app.CreateCustomerAsync("reuse-reaped", "mae.new@example.com");

        Assert.Equal(201, renewed.StatusCode);
        Assert.NotEqual(IdOf(old), IdOf(renewed));
        Assert.Equal(new[] { IdOf(old), IdOf(renewed) }.Order(), (await app.CustomerIdsAsync()).Order());
        var oldCustomer = await app.Customers.FindAsync(Merchant, IdOf(old), CancellationToken.None);
        Assert.Equal("mae@example.com", oldCustomer!.Email);
    }

    [Fact]
    public async Task CreateCustomer_WhenTheKeyIsReusedAfterExpiryWithANewEmail_ShouldCreateANewCustomer()
    {
        var app = await App.CreateAsync(azurite);
        var old = await app.CreateCustomerAsync("reuse-new-email", "ida@example.com");
        app.Time.Advance(app.Options.Retention + TimeSpan.FromSeconds(1));

        var renewed = await app.CreateCustomerAsync("reuse-new-email", "ida.new@example.com");

        Assert.Equal(201, renewed.StatusCode);
        Assert.NotEqual(IdOf(old), IdOf(renewed));
        Assert.Equal(2, (await app.CustomerIdsAsync()).Count);
    }

    [Fact]
    public async Task CreatePayment_WhenStorageRefusesTheBatchAs400_ShouldAnswerAProblemWriteNothingAndReleaseTheKey()
    {
        var app = await App.CreateAsync(azurite);
        var refuse = app.Faults.Add(StorageOperation.TableBatch, StorageFaultKind.EntityTooLarge, StorageFaultTiming.BeforeSending, times: 1);

        var refused = await app.CreatePaymentAsync("refused");
        var retry = await app.CreatePaymentAsync("refused");

        Assert.Equal(1, refuse.Hits);
        Assert.Equal(400, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Headers.Single(h => h.Key == "Content-Type").Value);
        Assert.Contains("not-storable", JsonDocument.Parse(refused.Body).RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(IdempotencyDisposition.Executed, retry.Disposition);
        Assert.Equal(202, retry.StatusCode);
        Assert.Single(await app.PaymentsAsync());
    }

    [Fact]
    public async Task CreateCustomer_WhenStorageRefusesTheBatchAs400_ShouldAnswerAProblemAndReleaseTheKey()
    {
        var app = await App.CreateAsync(azurite);
        // The claim's batch goes through; the handler's is refused.
        app.Faults.Add(NthRequest.Of(StorageOperation.TableBatch, 2), StorageFaultKind.EntityTooLarge, StorageFaultTiming.BeforeSending, times: 1);

        var refused = await app.CreateCustomerAsync("refused", "zoe@example.com");
        var retry = await app.CreateCustomerAsync("refused", "zoe@example.com");

        Assert.Equal(400, refused.StatusCode);
        Assert.Equal(IdempotencyDisposition.Executed, retry.Disposition);
        Assert.Equal(201, retry.StatusCode);
    }

    private static string IdOf(IdempotentResponse response)
    {
        using var json = JsonDocument.Parse(response.Body);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The payments and customers components wired as the composition root wires them, over test clients.</summary>
    internal sealed class App
    {
        public required TableClient PaymentsTable { get; init; }

        public required TableClient CustomersTable { get; init; }

        public required QueueClient Queue { get; init; }

        public required StorageFaultInjector Faults { get; init; }

        public required StorageTransactionCounter Counter { get; init; }

        public required FakeTimeProvider Time { get; init; }

        public required IdempotencyOptions Options { get; init; }

        public required IdempotentRequestProcessor Processor { get; init; }

        public required IdempotencyReaper Reaper { get; init; }

        public required PaymentEndpoints Payments { get; init; }

        public required CustomerEndpoints CustomerEndpoints { get; init; }

        public required CustomerService Customers { get; init; }

        /// <summary>Policies first, then the fault injector, then the counter (a fault before sending is not counted).</summary>
        public static async Task<App> CreateAsync(AzuriteFixture azurite, params HttpPipelinePolicy[] policies)
        {
            var payments = await azurite.CreateTableAsync("hpay");
            var customers = await azurite.CreateTableAsync("hcus");
            var queueName = AzuriteFixture.UniqueName("hq");
            await azurite.CreateClients().GetQueueClient(queueName).CreateIfNotExistsAsync();
            var faults = new StorageFaultInjector();
            var counter = new StorageTransactionCounter();
            var clients = azurite.CreateClients([.. policies, faults, counter]);
            var time = new FakeTimeProvider();
            var options = new IdempotencyOptions { ProblemTypeBaseUri = ApiProblems.TypeBase }; // as the app configures it
            var tables = new Dictionary<string, TableClient>
            {
                [payments.Name] = clients.GetTableClient(payments.Name),
                [customers.Name] = clients.GetTableClient(customers.Name),
            };
            var stores = new IdempotencyStores(payments.Name, name => new IdempotencyStore(tables[name], options, time, NullLogger<IdempotencyStore>.Instance));
            var customerService = new CustomerService(tables[customers.Name], time, NullLogger<CustomerService>.Instance);
            var repository = new PaymentRepository(tables[payments.Name], time);
            var queue = clients.GetQueueClient(queueName);
            var service = new PaymentService(repository, new PaymentMessageSender(queue), customerService, time, NullLogger<PaymentService>.Instance);
            return new App
            {
                PaymentsTable = payments,
                CustomersTable = customers,
                Queue = azurite.CreateClients().GetQueueClient(queueName),
                Faults = faults,
                Counter = counter,
                Time = time,
                Options = options,
                Processor = new IdempotentRequestProcessor(stores, Microsoft.Extensions.Options.Options.Create(options), time, NullLogger<IdempotentRequestProcessor>.Instance),
                Reaper = new IdempotencyReaper(stores, Microsoft.Extensions.Options.Options.Create(options), time, NullLogger<IdempotencyReaper>.Instance),
                Payments = new PaymentEndpoints(service, new PaymentListing(repository)),
                CustomerEndpoints = new CustomerEndpoints(customerService),
                Customers = customerService,
            };
        }

        /// <summary>What CreatePayment does behind IdempotencyMiddleware ([Idempotent(Payments, Claimless)]).</summary>
        public Task<IdempotentResponse> CreatePaymentAsync(string key, string body = PaymentBody)
        {
            var parsed = JsonSerializer.Deserialize(body, CreatePaymentRequest.JsonTypeInfo)!;
            var request = new IdempotentRequest(Merchant, key, "POST", PaymentEndpoints.CollectionPath, "application/json", Encoding.UTF8.GetBytes(body))
            {
                Table = PaymentsTable.Name,
                Mode = IdempotencyMode.Claimless,
            };
            return Processor.ProcessAsync(request, async (lease, cancellationToken) =>
            {
                var answer = await Payments.CreateAsync(Merchant, lease, parsed, null, cancellationToken);
                return new HandlerResult(answer.StatusCode, answer.Headers, answer.Body) { Retention = answer.Retention };
            }, CancellationToken.None);
        }

        /// <summary>What CreateCustomer does behind IdempotencyMiddleware ([Idempotent(Customers)], claim-first).</summary>
        public Task<IdempotentResponse> CreateCustomerAsync(string key, string email)
        {
            var body = $$"""{"email":"{{email}}","name":"Ada"}""";
            var request = new IdempotentRequest(Merchant, key, "POST", CustomerEndpoints.CollectionPath, "application/json", Encoding.UTF8.GetBytes(body))
            {
                Table = CustomersTable.Name,
            };
            return Processor.ProcessAsync(request, async (lease, cancellationToken) =>
            {
                var answer = await CustomerEndpoints.CreateAsync(Merchant, lease, new CustomerRequest(email, "Ada"), null, cancellationToken);
                return new HandlerResult(answer.StatusCode, answer.Headers, answer.Body) { Retention = answer.Retention };
            }, CancellationToken.None);
        }

        public async Task<List<Payment>> PaymentsAsync()
        {
            var found = new List<Payment>();
            using var inspection = StrictStoragePolicy.InspectionByTest();
            await foreach (var entity in PaymentsTable.QueryAsync<TableEntity>(e => e.GetString(PaymentEntity.Properties.Kind) == PaymentEntity.KindValue))
            {
                found.Add(PaymentEntity.FromEntity(entity));
            }

            return found;
        }

        public async Task<List<string>> CustomerIdsAsync()
        {
            var found = new List<string>();
            using var inspection = StrictStoragePolicy.InspectionByTest();
            await foreach (var entity in CustomersTable.QueryAsync<TableEntity>(e => e.GetString(Customer.Properties.Kind) == Customer.KindValue))
            {
                found.Add(entity.RowKey);
            }

            return found;
        }
    }
}
