using Azure;
using Azure.Data.Tables;
using Payments.Core.Tests.Infrastructure;

namespace Payments.Core.Tests.Storage;

/// <summary>The two guarantees everything else is built on, asserted on real Azurite by status code.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class StoragePrimitivesTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AddEntity_WhenEntityExists_ShouldFailWith409()
    {
        var table = await azurite.CreateTableAsync("primitives");
        await table.AddEntityAsync(new TableEntity("p", "r") { ["Value"] = 1 });

        var conflict = await Assert.ThrowsAsync<RequestFailedException>(
            () => table.AddEntityAsync(new TableEntity("p", "r") { ["Value"] = 2 }));

        Assert.Equal(409, conflict.Status);
        var stored = await table.GetEntityAsync<TableEntity>("p", "r");
        Assert.Equal(1, stored.Value.GetInt32("Value"));
    }

    [Fact]
    public async Task UpdateEntity_WhenETagIsStale_ShouldFailWith412()
    {
        var table = await azurite.CreateTableAsync("primitives");
        await table.AddEntityAsync(new TableEntity("p", "r") { ["Value"] = 1 });
        var first = (await table.GetEntityAsync<TableEntity>("p", "r")).Value;
        first["Value"] = 2;
        await table.UpdateEntityAsync(first, first.ETag, TableUpdateMode.Replace);

        var staleCopy = new TableEntity("p", "r") { ["Value"] = 3 };
        var precondition = await Assert.ThrowsAsync<RequestFailedException>(
            () => table.UpdateEntityAsync(staleCopy, first.ETag, TableUpdateMode.Replace));

        Assert.Equal(412, precondition.Status);
        var stored = await table.GetEntityAsync<TableEntity>("p", "r");
        Assert.Equal(2, stored.Value.GetInt32("Value"));
    }
}
