using System.Net;
using System.Text;
using Azure.Data.Tables;

namespace IdempotentOrders.Tests;

/// <summary>The sample's one idempotent POST, end to end: package, worker, local host, Azurite.</summary>
public sealed class CreateOrderTests(IdempotentOrdersApp app) : IClassFixture<IdempotentOrdersApp>
{
    private const string OrdersTable = "orders";

    [Fact]
    public async Task CreateOrder_WhenSameRequestIsSentTwiceWithOneKey_ShouldExecuteOnceAndReplay()
    {
        var key = Guid.NewGuid().ToString("N");
        var order = $$"""{"item":"{{Guid.NewGuid():N}}","quantity":2}""";

        using var first = await PostAsync(key, order);
        using var second = await PostAsync(key, order);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(["true"], second.Headers.GetValues("Idempotent-Replayed"));
        var orderId = await first.Content.ReadAsStringAsync();
        Assert.Equal(orderId, await second.Content.ReadAsStringAsync());
        Assert.Equal([orderId], await OrderIdsAsync(order));
    }

    [Fact]
    public async Task CreateOrder_WhenKeyIsReusedForAnotherBody_ShouldAnswer422AndNotExecute()
    {
        var key = Guid.NewGuid().ToString("N");
        var order = $$"""{"item":"{{Guid.NewGuid():N}}","quantity":1}""";
        var otherOrder = $$"""{"item":"{{Guid.NewGuid():N}}","quantity":1}""";

        using var first = await PostAsync(key, order);
        using var reused = await PostAsync(key, otherOrder);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        Assert.Equal("application/problem+json", reused.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await OrderIdsAsync(otherOrder));
        Assert.Single(await OrderIdsAsync(order));
    }

    [Fact]
    public void Sample_ShouldMakeItsPostIdempotentInAtMostTwentyLines()
    {
        var code = Directory.GetFiles(IdempotentOrdersApp.SourceDirectory, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(File.ReadAllLines)
            .Where(line => !string.IsNullOrWhiteSpace(line) && !line.TrimStart().StartsWith("using ", StringComparison.Ordinal))
            .ToList();

        Assert.InRange(code.Count, 1, 20);
    }

    private async Task<HttpResponseMessage> PostAsync(string key, string order)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/orders")
        {
            Content = new StringContent(order, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", key);
        return await app.Client.SendAsync(request);
    }

    /// <summary>The orders the sample stored with this body: its one partition, read whole, filtered here.</summary>
    private async Task<List<string>> OrderIdsAsync(string order)
    {
        var orders = app.Azurite.CreateClients().GetTableClient(OrdersTable);
        var ids = new List<string>();
        await foreach (var entity in orders.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {OrdersTable}")))
        {
            if (entity.GetString("Order") == order)
            {
                ids.Add(entity.RowKey);
            }
        }

        return ids;
    }
}
