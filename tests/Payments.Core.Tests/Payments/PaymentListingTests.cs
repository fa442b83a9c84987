using Azure.Data.Tables;
using Payments.Core.Payments;
using Payments.Core.Tests.Infrastructure;

namespace Payments.Core.Tests.Payments;

[Collection(AzuriteCollection.Name)]
public sealed class PaymentListingTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private TableClient _table = null!;
    private PaymentListing _listing = null!;

    public async Task InitializeAsync()
    {
        _table = await azurite.CreateTableAsync("listing");
        _listing = new PaymentListing(new PaymentRepository(_table, TimeProvider.System));
    }

    public Task DisposeAsync() => _table.DeleteAsync();

    [Fact]
    public async Task ListAsync_WhenPagedThroughWithTheCursor_ShouldReturnEveryPaymentNewestFirstExactlyOnce()
    {
        var merchant = "merchant-" + Guid.NewGuid().ToString("N")[..8];
        // Seven payments, three of them created in the same tick: the cursor must break the tie by id, not skip or repeat.
        var expected = new List<Payment>();
        for (var i = 0; i < 7; i++)
        {
            expected.Add(await InsertAsync(merchant, PaymentStatus.Pending, Start.AddSeconds(i is >= 2 and <= 4 ? 2 : i)));
        }

        await InsertAsync("someone-else", PaymentStatus.Pending, Start.AddSeconds(10));

        var listed = new List<string>();
        PaymentCursor? cursor = null;
        var pages = 0;
        do
        {
            var page = await _listing.ListAsync(merchant, null, 3, cursor, CancellationToken.None);
            Assert.True(page.Payments.Count <= 3);
            listed.AddRange(page.Payments.Select(p => p.Id.Value));
            cursor = page.NextCursor is null ? null : PaymentCursor.TryDecode(page.NextCursor, out var next) ? next : throw new InvalidOperationException("Undecodable cursor.");
            pages++;
        }
        while (cursor is not null && pages < 10);

        var newestFirst = expected.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id.Value, StringComparer.Ordinal).Select(p => p.Id.Value);
        Assert.Equal(newestFirst, listed);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task ListAsync_WhenFilteredByStatus_ShouldReturnOnlyThatStatusNewestFirst()
    {
        var merchant = "merchant-" + Guid.NewGuid().ToString("N")[..8];
        var older = await InsertAsync(merchant, PaymentStatus.Failed, Start);
        await InsertAsync(merchant, PaymentStatus.Succeeded, Start.AddSeconds(1));
        var newer = await InsertAsync(merchant, PaymentStatus.Failed, Start.AddSeconds(2));
        await InsertAsync("someone-else", PaymentStatus.Failed, Start.AddSeconds(3));

        var page = await _listing.ListAsync(merchant, PaymentStatus.Failed, 10, null, CancellationToken.None);

        Assert.Equal([newer.Id, older.Id], page.Payments.Select(p => p.Id));
        Assert.Null(page.NextCursor);
    }

    [Fact]
    public async Task ListAsync_WhenTheLastPageIsExactlyFull_ShouldNotHandOutACursor()
    {
        var merchant = "merchant-" + Guid.NewGuid().ToString("N")[..8];
        await InsertAsync(merchant, PaymentStatus.Pending, Start);
        await InsertAsync(merchant, PaymentStatus.Pending, Start.AddSeconds(1));

        var page = await _listing.ListAsync(merchant, null, 2, null, CancellationToken.None);

        Assert.Equal(2, page.Payments.Count);
        Assert.Null(page.NextCursor);
    }

    private async Task<Payment> InsertAsync(string merchant, PaymentStatus status, DateTimeOffset createdAt)
    {
        var payment = new Payment(PaymentId.New(Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..3]), merchant, 1999, "EUR", "tok_visa",
            null, null, new Dictionary<string, string>(), status, null, createdAt, createdAt, createdAt, default);
        await _table.AddEntityAsync(PaymentEntity.ToEntity(payment));
        return payment;
    }
}
