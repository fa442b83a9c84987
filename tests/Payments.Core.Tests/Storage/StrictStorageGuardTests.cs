using Azure;
using Azure.Data.Tables;
using Payments.Core.Tests.Infrastructure;
using Payments.Testing;

namespace Payments.Core.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class StrictStorageGuardTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData("PartitionKey eq 'abc'")]
    [InlineData("(PartitionKey eq 'abc')")]
    [InlineData("PartitionKey eq 'a''b' and RowKey ge 'lst-' and RowKey lt 'lst.'")]
    [InlineData("(PartitionKey eq 'p') and (RowKey gt 'x')")]
    [InlineData("RowKey lt 'z' and PartitionKey eq 'p'")]
    public void Check_WhenTheFilterPinsOnePartitionAndRangesRowKeys_ShouldAllowIt(string filter) =>
        Assert.Null(TableQueryRule.Check(filter));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Kind eq 'payment' and MerchantId eq 'm'")]
    [InlineData("RowKey ge 'idem-' and RowKey lt 'idem.'")]
    [InlineData("PartitionKey eq 'p' and Status eq 'Pending'")]
    [InlineData("PartitionKey eq 'p' or PartitionKey eq 'q'")]
    [InlineData("(PartitionKey eq 'p' or RowKey eq 'x')")]
    [InlineData("PartitionKey ge 'p' and PartitionKey lt 'q'")]
    [InlineData("PartitionKey eq 'p' and PartitionKey eq 'q'")]
    [InlineData("PartitionKey eq 'p' and RowKey ne 'x'")]
    [InlineData("PartitionKey eq 'and RowKey' and MerchantId eq 'm'")]
    [InlineData("not (PartitionKey eq 'p')")]
    public void Check_WhenTheFilterCanReadOtherPartitionsOrTestOtherProperties_ShouldRefuseIt(string? filter) =>
        Assert.NotNull(TableQueryRule.Check(filter));

    [Fact]
    public async Task Policy_WhenAClientQueriesAcrossPartitions_ShouldThrowBeforeTheRequestGoesOut()
    {
        var guard = new StorageGuard([]);
        var table = azurite.CreateClients().GetTableClient(AzuriteFixture.UniqueName("guard"));
        await table.CreateIfNotExistsAsync();
        var guarded = new Core.Storage.StorageClientFactory(new Core.Storage.StorageConnection.ConnectionString(azurite.ConnectionString),
            [new StrictStoragePolicy(guard)]).GetTableClient(table.Name);
        await guarded.AddEntityAsync(new TableEntity("p", "r") { ["Kind"] = "x" });

        var error = await Assert.ThrowsAsync<StorageGuardViolationException>(
            async () => await guarded.QueryAsync<TableEntity>("Kind eq 'x'").ToListAsync());
        var found = await guarded.QueryAsync<TableEntity>("PartitionKey eq 'p' and RowKey ge 'a'").ToListAsync();

        Assert.Contains("neither PartitionKey", error.Message, StringComparison.Ordinal);
        Assert.Single(found);
        Assert.Single(guard.Violations);
        var counted = guard.Snapshot();
        Assert.Equal(2, counted[StorageOperation.TableQuery]); // the refused one is counted too: it was attempted
        Assert.Equal(1, counted.EntitiesRead);
    }

    [Fact]
    public async Task Proxy_WhenTheAppQueriesAcrossPartitions_ShouldAnswer400AndRecordTheViolation()
    {
        var guard = new StorageGuard([]);
        await using var proxy = await StorageProxy.StartAsync(azurite.ConnectionString, guard, CancellationToken.None);
        var table = new TableClient(proxy.ConnectionString, AzuriteFixture.UniqueName("proxy"));
        await table.CreateIfNotExistsAsync();
        await table.SubmitTransactionAsync([new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "a")),
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "b"))]);

        var read = await table.GetEntityAsync<TableEntity>("p", "a");
        var inPartition = await table.QueryAsync<TableEntity>("PartitionKey eq 'p'").ToListAsync();
        var refused = await Assert.ThrowsAsync<RequestFailedException>(async () => await table.QueryAsync<TableEntity>("RowKey eq 'a'").ToListAsync());

        Assert.Equal("a", read.Value.RowKey);
        Assert.Equal(2, inPartition.Count);
        Assert.Equal(400, refused.Status);
        Assert.Equal("StrictStorageGuardViolation", refused.ErrorCode);
        Assert.Single(guard.Violations);
        Assert.Throws<StorageGuardViolationException>(guard.ThrowIfViolated);
        var counted = guard.Snapshot();
        Assert.Equal(1, counted[StorageOperation.TableBatch]);
        Assert.Equal(1, counted[StorageOperation.EntityRead]);
        Assert.Equal(2, counted.EntitiesRead);
    }

    [Fact]
    public async Task Policy_WhenABatchSpansPartitions_ShouldThrowBeforeTheRequestGoesOutAndWriteNothing()
    {
        var guard = new StorageGuard([]);
        var table = azurite.CreateClients().GetTableClient(AzuriteFixture.UniqueName("gbatch"));
        await table.CreateIfNotExistsAsync();
        var guarded = new Core.Storage.StorageClientFactory(new Core.Storage.StorageConnection.ConnectionString(azurite.ConnectionString),
            [new StrictStoragePolicy(guard)]).GetTableClient(table.Name);
        await guarded.AddEntityAsync(new TableEntity("p", "existing"));

        // Every kind of operation in one partition passes: the partition is read from the address or the entity.
        await guarded.SubmitTransactionAsync([
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "a")),
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity("p", "b")),
            new TableTransactionAction(TableTransactionActionType.UpdateMerge, new TableEntity("p", "existing") { ["Kind"] = "x" }, ETag.All),
        ]);
        var error = await Assert.ThrowsAsync<StorageGuardViolationException>(async () => await guarded.SubmitTransactionAsync([
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "c")),
            new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity("q", "d"), ETag.All),
        ]));

        Assert.Contains("CommandsInBatchActOnDifferentPartitions", error.Message, StringComparison.Ordinal);
        Assert.Contains("'p', 'q'", error.Message, StringComparison.Ordinal);
        Assert.Single(guard.Violations);
        Assert.Equal(3, (await table.QueryAsync<TableEntity>("PartitionKey eq 'p'").ToListAsync()).Count); // "c" was never sent
    }

    [Fact]
    public async Task Proxy_WhenTheAppSendsABatchAcrossPartitions_ShouldAnswer400WriteNothingAndRecordTheViolation()
    {
        var guard = new StorageGuard([]);
        await using var proxy = await StorageProxy.StartAsync(azurite.ConnectionString, guard, CancellationToken.None);
        var table = new TableClient(proxy.ConnectionString, AzuriteFixture.UniqueName("pbatch"));
        await table.CreateIfNotExistsAsync();

        var refused = await Assert.ThrowsAnyAsync<RequestFailedException>(async () => await table.SubmitTransactionAsync([
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "a")),
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity("q", "b")),
        ]));

        Assert.Equal(400, refused.Status);
        Assert.Equal("StrictStorageGuardViolation", refused.ErrorCode);
        Assert.Contains("CommandsInBatchActOnDifferentPartitions", Assert.Single(guard.Violations), StringComparison.Ordinal);
        Assert.Empty(await azurite.CreateClients().GetTableClient(table.Name).QueryAsync<TableEntity>("PartitionKey eq 'p'").ToListAsync());
    }

    [Fact]
    public void Inspect_WhenALegacyJobScansPastItsBound_ShouldRefuseTheRequestOverTheBound()
    {
        var allowance = new StorageGuardAllowance("legacy test scan", (_, filter) => filter.StartsWith("Kind eq", StringComparison.Ordinal), MaxRequests: 2);
        var guard = new StorageGuard([allowance]);

        var first = guard.Inspect("GET", "/devstoreaccount1/t()", "?$filter=Kind%20eq%20'x'");
        var second = guard.Inspect("GET", "/devstoreaccount1/t()", "?$filter=Kind%20eq%20'x'");
        var third = guard.Inspect("GET", "/devstoreaccount1/t()", "?$filter=Kind%20eq%20'x'");
        var other = guard.Inspect("GET", "/devstoreaccount1/t()", "?$filter=Status%20eq%20'x'");

        Assert.Null(first);
        Assert.Null(second);
        Assert.Contains("exhausted", third, StringComparison.Ordinal);
        Assert.NotNull(other);
        Assert.Equal(3, guard.AllowanceUse["legacy test scan"]);
    }
}
