using Azure.Core;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Payments.Core.Customers;
using Payments.Core.Tests.Infrastructure;
using Payments.Testing;

namespace Payments.Core.Tests.Customers;

[Collection(AzuriteCollection.Name)]
public sealed class CustomerServiceTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new();
    private TableClient _table = null!;
    private CustomerService _customers = null!;

    public async Task InitializeAsync()
    {
        _table = await azurite.CreateTableAsync("customers");
        _customers = new CustomerService(_table, _time, NullLogger<CustomerService>.Instance);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static CustomerId NewId() => CustomerId.New(Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..3]);

    private Task<CustomerOutcome> CreateAsync(string email, string merchant = "merchant-1", CustomerId? id = null) =>
        _customers.CreateAsync(merchant, id ?? NewId(), new CustomerRequest(email, "Ada"), PlainCommit.To<Customer>(_table), CancellationToken.None);

    [Fact]
    public async Task CreateAsync_WhenEmailIsNew_ShouldStoreTheCustomer()
    {
        var created = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("ada@example.com"));

        var found = await _customers.FindAsync("merchant-1", created.Customer.Id.Value, CancellationToken.None);
        Assert.Equal("ada@example.com", found!.Email);
    }

    [Fact]
    public async Task CreateAsync_WhenEmailDiffersOnlyInCase_ShouldReportEmailTaken()
    {
        var first = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("grace@example.com"));

        var second = await CreateAsync("GRACE@Example.com");

        Assert.Equal(first.Customer.Id, Assert.IsType<CustomerOutcome.EmailTaken>(second).ExistingCustomer);
    }

    [Fact]
    public async Task CreateAsync_WhenFiftyCreatesRaceForOneEmail_ShouldLetExactlyOneWin()
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => CreateAsync("race@example.com"))));

        Assert.Single(outcomes.OfType<CustomerOutcome.Done>());
        Assert.Equal(49, outcomes.OfType<CustomerOutcome.EmailTaken>().Count());
        var stored = 0;
        using var inspection = StrictStoragePolicy.InspectionByTest();
        await foreach (var _ in _table.QueryAsync<TableEntity>(e => e.GetString(Customer.Properties.Kind) == Customer.KindValue))
        {
            stored++;
        }

        Assert.Equal(1, stored);
    }

    [Fact]
    public async Task CreateAsync_WhenTwoMerchantsUseOneEmail_ShouldCreateBoth()
    {
        Assert.IsType<CustomerOutcome.Done>(await CreateAsync("shared@example.com", "merchant-a"));
        Assert.IsType<CustomerOutcome.Done>(await CreateAsync("shared@example.com", "merchant-b"));
    }

    [Fact]
    public async Task CreateAsync_WhenRetriedWithTheSameIdAfterACrashBetweenClaimAndWrite_ShouldSucceed()
    {
        var id = NewId();
        // The first attempt claimed the email and died before its customer was written.
        await Assert.ThrowsAnyAsync<Exception>(() => _customers.CreateAsync("merchant-1", id, new CustomerRequest("crash@example.com", "Ada"),
            (_, _, _) => throw new IOException("process died"), CancellationToken.None));

        var retry = await CreateAsync("crash@example.com", id: id);

        Assert.Equal(id, Assert.IsType<CustomerOutcome.Done>(retry).Customer.Id);
    }

    [Fact]
    public async Task CreateAsync_WhenAnAbandonedClaimIsOldEnough_ShouldTakeItOver()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => _customers.CreateAsync("merchant-1", NewId(), new CustomerRequest("gone@example.com", "Ada"),
            (_, _, _) => throw new IOException("process died"), CancellationToken.None));
        Assert.IsType<CustomerOutcome.EmailTaken>(await CreateAsync("gone@example.com"));

        _time.Advance(CustomerService.AbandonedClaimAge + TimeSpan.FromSeconds(1));

        Assert.IsType<CustomerOutcome.Done>(await CreateAsync("gone@example.com"));
    }

    [Fact]
    public async Task ReplaceAsync_WhenThePreconditionNamesAStaleVersion_ShouldFailThePrecondition()
    {
        var created = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("pre@example.com")).Customer;
        var createdVersion = (await _customers.FindAsync("merchant-1", created.Id.Value, CancellationToken.None))!.ETag;
        bool IsCreatedVersion(Customer current) => current.ETag == createdVersion;
        Assert.IsType<CustomerOutcome.Done>(await _customers.ReplaceAsync("merchant-1", created.Id.Value,
            new CustomerRequest("pre@example.com", "Renamed"), IsCreatedVersion, CancellationToken.None));

        var outcome = await _customers.ReplaceAsync("merchant-1", created.Id.Value, new CustomerRequest("pre@example.com", "Again"), IsCreatedVersion, CancellationToken.None);

        Assert.IsType<CustomerOutcome.PreconditionFailed>(outcome);
        Assert.Equal("Renamed", (await _customers.FindAsync("merchant-1", created.Id.Value, CancellationToken.None))!.Name);
    }

    [Fact]
    public async Task ReplaceAsync_WhenEmailMoves_ShouldFreeTheOldOneAndGuardTheNewOne()
    {
        var ada = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("old@example.com")).Customer;
        Assert.IsType<CustomerOutcome.Done>(await CreateAsync("other@example.com"));

        Assert.IsType<CustomerOutcome.EmailTaken>(await _customers.ReplaceAsync("merchant-1", ada.Id.Value,
            new CustomerRequest("other@example.com", "Ada"), null, CancellationToken.None));
        Assert.IsType<CustomerOutcome.Done>(await _customers.ReplaceAsync("merchant-1", ada.Id.Value,
            new CustomerRequest("new@example.com", "Ada"), null, CancellationToken.None));

        Assert.IsType<CustomerOutcome.Done>(await CreateAsync("old@example.com"));
        Assert.IsType<CustomerOutcome.EmailTaken>(await CreateAsync("new@example.com"));
    }

    [Fact]
    public async Task ReplaceAsync_WhenRepeated_ShouldLeaveTheSameState()
    {
        var created = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("same@example.com")).Customer;
        var request = new CustomerRequest("same@example.com", "Twice");

        var first = Assert.IsType<CustomerOutcome.Done>(await _customers.ReplaceAsync("merchant-1", created.Id.Value, request, null, CancellationToken.None));
        var second = Assert.IsType<CustomerOutcome.Done>(await _customers.ReplaceAsync("merchant-1", created.Id.Value, request, null, CancellationToken.None));

        Assert.Equal(CustomerResource.From(first.Customer), CustomerResource.From(second.Customer));
    }

    [Fact]
    public async Task DeleteAsync_WhenRepeated_ShouldDeleteOnceThenReportNotFoundAndFreeTheEmail()
    {
        var created = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("bye@example.com")).Customer;

        Assert.IsType<CustomerOutcome.Done>(await _customers.DeleteAsync("merchant-1", created.Id.Value, null, CancellationToken.None));
        Assert.IsType<CustomerOutcome.NotFound>(await _customers.DeleteAsync("merchant-1", created.Id.Value, null, CancellationToken.None));

        Assert.IsType<CustomerOutcome.Done>(await CreateAsync("bye@example.com"));
    }

    [Fact]
    public async Task FindReplaceDelete_WhenAnotherMerchantAsks_ShouldReportNotFound()
    {
        var created = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("mine@example.com")).Customer;

        Assert.Null(await _customers.FindAsync("intruder", created.Id.Value, CancellationToken.None));
        Assert.IsType<CustomerOutcome.NotFound>(await _customers.ReplaceAsync("intruder", created.Id.Value,
            new CustomerRequest("x@example.com", "X"), null, CancellationToken.None));
        Assert.IsType<CustomerOutcome.NotFound>(await _customers.DeleteAsync("intruder", created.Id.Value, null, CancellationToken.None));
        Assert.NotNull(await _customers.FindAsync("merchant-1", created.Id.Value, CancellationToken.None));
    }

    [Fact]
    public async Task ReplaceAsync_WhenTwoReplacesRaceForOneEmail_ShouldLetExactlyOneHaveIt()
    {
        var x = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("x-race@example.com")).Customer;
        var y = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("y-race@example.com")).Customer;
        var (gate, gated) = GatedAt(RequestMethod.Put, x.Id);

        // X claims the email, then waits before its own update lands; Y replaces to the same email meanwhile.
        var xReplace = gated.ReplaceAsync("merchant-1", x.Id.Value, new CustomerRequest("contested@example.com", "X"), null, CancellationToken.None);
        await gate.Reached;
        var yOutcome = await _customers.ReplaceAsync("merchant-1", y.Id.Value, new CustomerRequest("contested@example.com", "Y"), null, CancellationToken.None);
        gate.Open();
        var xOutcome = await xReplace;

        Assert.IsType<CustomerOutcome.Done>(yOutcome);
        Assert.Equal(y.Id, Assert.IsType<CustomerOutcome.EmailTaken>(xOutcome).ExistingCustomer);
        Assert.Equal([y.Id.Value], await HoldersAsync("contested@example.com"));
        Assert.Equal("x-race@example.com", (await _customers.FindAsync("merchant-1", x.Id.Value, CancellationToken.None))!.Email);
    }

    [Fact]
    public async Task CreateAsync_WhenItRacesAReplaceToTheSameEmail_ShouldLetExactlyOneHaveIt()
    {
        var x = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("x-create@example.com")).Customer;
        var (gate, gated) = GatedAt(RequestMethod.Put, x.Id);

        var xReplace = gated.ReplaceAsync("merchant-1", x.Id.Value, new CustomerRequest("wanted@example.com", "X"), null, CancellationToken.None);
        await gate.Reached;
        var created = await CreateAsync("wanted@example.com");
        gate.Open();
        var xOutcome = await xReplace;

        var z = Assert.IsType<CustomerOutcome.Done>(created).Customer;
        Assert.Equal(z.Id, Assert.IsType<CustomerOutcome.EmailTaken>(xOutcome).ExistingCustomer);
        Assert.Equal([z.Id.Value], await HoldersAsync("wanted@example.com"));
    }

    [Fact]
    public async Task CreateAsync_WhenAStalledCreatesClaimIsTakenOverBeforeItsInsertLands_ShouldFenceTheStalledCreateOff()
    {
        var stalledId = NewId();
        var (gate, gated) = GatedAt(RequestMethod.Post, null, "$batch");

        var stalled = gated.CreateAsync("merchant-1", stalledId, new CustomerRequest("stalled@example.com", "Slow"), PlainCommit.To<Customer>(gated.Table), CancellationToken.None);
        await gate.Reached;
        _time.Advance(CustomerService.AbandonedClaimAge + TimeSpan.FromSeconds(1));
        var taker = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("stalled@example.com")).Customer;
        gate.Open();
        var stalledOutcome = await stalled;

        Assert.Equal(taker.Id, Assert.IsType<CustomerOutcome.EmailTaken>(stalledOutcome).ExistingCustomer);
        Assert.Null(await _customers.FindAsync("merchant-1", stalledId.Value, CancellationToken.None));
        Assert.Equal([taker.Id.Value], await HoldersAsync("stalled@example.com"));
    }

    [Fact]
    public async Task ReplaceAsync_WhenTheCustomerIsDeletedWhileItsReplaceIsInFlight_ShouldLeaveTheEmailToExactlyOneCustomer()
    {
        var x = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("x-delete@example.com")).Customer;
        var (gate, gated) = GatedAt(RequestMethod.Put, x.Id);

        var xReplace = gated.ReplaceAsync("merchant-1", x.Id.Value, new CustomerRequest("orphan@example.com", "X"), null, CancellationToken.None);
        await gate.Reached;
        Assert.IsType<CustomerOutcome.Done>(await _customers.DeleteAsync("merchant-1", x.Id.Value, null, CancellationToken.None));
        Assert.IsType<CustomerOutcome.EmailTaken>(await CreateAsync("orphan@example.com"));
        _time.Advance(CustomerService.AbandonedClaimAge + TimeSpan.FromSeconds(1));
        var z = Assert.IsType<CustomerOutcome.Done>(await CreateAsync("orphan@example.com")).Customer;
        gate.Open();
        var xOutcome = await xReplace;

        Assert.IsType<CustomerOutcome.NotFound>(xOutcome);
        Assert.Equal([z.Id.Value], await HoldersAsync("orphan@example.com"));
        Assert.IsType<CustomerOutcome.Done>(await CreateAsync("x-delete@example.com"));
    }

    /// <summary>A service whose first matching request to the customers table waits at the returned gate.</summary>
    private (Gate Gate, CustomerService Service) GatedAt(RequestMethod method, CustomerId? row, string? pathPart = null)
    {
        var gate = new Gate();
        var hook = new RequestHookPolicy(
            m => m.Request.Method == method && m.Request.Uri.ToString().Contains(row?.Value ?? pathPart!, StringComparison.Ordinal),
            gate.WaitAsync);
        return (gate, new CustomerService(azurite.CreateClients([hook]).GetTableClient(_table.Name), _time, NullLogger<CustomerService>.Instance));
    }

    private async Task<List<string>> HoldersAsync(string email)
    {
        var holders = new List<string>();
        using var inspection = StrictStoragePolicy.InspectionByTest();
        await foreach (var entity in _table.QueryAsync<TableEntity>(e => e.GetString(Customer.Properties.Kind) == Customer.KindValue))
        {
            if (string.Equals(entity.GetString("Email"), email, StringComparison.OrdinalIgnoreCase))
            {
                holders.Add(entity.RowKey);
            }
        }

        return holders;
    }

    [Theory]
    [InlineData("plain", "Ada")]
    [InlineData("a@b@example.com", "Ada")]
    [InlineData("with space@example.com", "Ada")]
    [InlineData("ada@example.com", "")]
    [InlineData("ada@example.com", "   ")]
    [InlineData("ada@example.com", "bad\u0000name")]
    public void Validate_WhenFieldsAreInvalid_ShouldNameThem(string email, string name)
    {
        Assert.NotEmpty(new CustomerRequest(email, name).Validate());
    }
}
