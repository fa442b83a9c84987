using Azure.Data.Tables;
using Idempotency.Tables;
using Microsoft.Extensions.Time.Testing;
using Payments.Core.Payments;
using Payments.Core.Storage;
using Payments.Core.Tests.Infrastructure;
using Payments.Testing;
using Xunit.Abstractions;

namespace Payments.Core.Tests.Payments;

[Collection(AzuriteCollection.Name)]
public sealed class PaymentListingTests(AzuriteFixture azurite, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Counts what the listing alone sends (and judges it: a cross-partition query fails the test).</summary>
    private readonly StorageGuard _listingCost = new([]);

    private TableClient _table = null!;
    private PaymentListing _listing = null!;

    public async Task InitializeAsync()
    {
        _table = await azurite.CreateTableAsync("listing");
        _listing = new PaymentListing(new PaymentRepository(
            azurite.CreateClients(new StrictStoragePolicy(_listingCost)).GetTableClient(_table.Name), TimeProvider.System));
    }

    public Task DisposeAsync() => _table.DeleteAsync();

    [Fact]
    public async Task ListAsync_WhenPagedThroughWithTheCursor_ShouldReturnEveryPaymentNewestFirstExactlyOnce()
    {
        var merchant = NewMerchant();
        // Seven payments, three of them created in the same tick: the cursor must break the tie by id, not skip or repeat.
        var expected = new List<Payment>();
        for (var i = 0; i < 7; i++)
        {
            expected.Add(await InsertAsync(merchant, PaymentStatus.Pending, Start.AddSeconds(i is >= 2 and <= 4 ? 2 : i)));
        }

        await InsertAsync(NeighbourOf(merchant), PaymentStatus.Pending, Start.AddSeconds(10));

        var (listed, pages) = await ListAllAsync(merchant, null, 3);

        Assert.Equal(NewestFirst(expected), listed);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task ListAsync_WhenFilteredByStatus_ShouldReturnOnlyThatStatusNewestFirst()
    {
        var merchant = NewMerchant();
        var older = await InsertAsync(merchant, PaymentStatus.Failed, Start);
        await InsertAsync(merchant, PaymentStatus.Succeeded, Start.AddSeconds(1));
        var newer = await InsertAsync(merchant, PaymentStatus.Failed, Start.AddSeconds(2));
        await InsertAsync(NeighbourOf(merchant), PaymentStatus.Failed, Start.AddSeconds(3));

        var page = await _listing.ListAsync(merchant, PaymentStatus.Failed, 10, null, CancellationToken.None);

        Assert.Equal([newer.Id, older.Id], page.Payments.Select(p => p.Id));
        Assert.Null(page.NextCursor);
    }

    [Fact]
    public async Task ListAsync_WhenTheLastPageIsExactlyFull_ShouldNotHandOutACursor()
    {
        var merchant = NewMerchant();
        await InsertAsync(merchant, PaymentStatus.Pending, Start);
        await InsertAsync(merchant, PaymentStatus.Pending, Start.AddSeconds(1));

        var page = await _listing.ListAsync(merchant, null, 2, null, CancellationToken.None);

        Assert.Equal(2, page.Payments.Count);
        Assert.Null(page.NextCursor);
    }

    [Fact]
    public async Task ListAsync_WhenAPaymentMovesThroughItsStates_ShouldListItUnderItsCurrentStatusOnly()
    {
        var merchant = NewMerchant();
        var time = new FakeTimeProvider(Start.AddMinutes(1));
        var repository = new PaymentRepository(_table, time);
        var payment = await InsertAsync(merchant, PaymentStatus.Pending, Start);

        var processing = Assert.IsType<PaymentChange.Changed>(await repository.MoveAsync(payment, PaymentStatus.Processing, null, CancellationToken.None)).Payment;
        var failed = Assert.IsType<PaymentChange.Changed>(await repository.MoveAsync(processing, PaymentStatus.Failed, FailureCodes.CardDeclined, CancellationToken.None)).Payment;
        var stale = await repository.MoveAsync(processing, PaymentStatus.Succeeded, null, CancellationToken.None);

        Assert.IsType<PaymentChange.Conflict>(stale);
        foreach (var status in new[] { PaymentStatus.Pending, PaymentStatus.Processing, PaymentStatus.Succeeded })
        {
            Assert.Empty((await _listing.ListAsync(merchant, status, 10, null, CancellationToken.None)).Payments);
        }

        var listedFailed = Assert.Single((await _listing.ListAsync(merchant, PaymentStatus.Failed, 10, null, CancellationToken.None)).Payments);
        var listedAll = Assert.Single((await _listing.ListAsync(merchant, null, 10, null, CancellationToken.None)).Payments);
        Assert.Equal(PaymentResource.From(failed).ToJson(), PaymentResource.From(listedFailed).ToJson());
        Assert.Equal(PaymentResource.From(failed).ToJson(), PaymentResource.From(listedAll).ToJson());
    }

    [Fact]
    public async Task ListAsync_WhenPaymentsArriveBetweenPages_ShouldContinueWhereThePreviousPageEnded()
    {
        var merchant = NewMerchant();
        var existing = new List<Payment>();
        for (var i = 0; i < 5; i++)
        {
            existing.Add(await InsertAsync(merchant, PaymentStatus.Pending, Start.AddSeconds(i)));
        }

        var first = await _listing.ListAsync(merchant, null, 2, null, CancellationToken.None);
        await InsertAsync(merchant, PaymentStatus.Pending, Start.AddSeconds(100));
        Assert.True(PaymentCursor.TryDecode(first.NextCursor, out var cursor));
        var rest = await _listing.ListAsync(merchant, null, 10, cursor, CancellationToken.None);

        Assert.Equal(NewestFirst(existing), first.Payments.Concat(rest.Payments).Select(p => p.Id.Value));
    }

    /// <summary>
    /// Contract rule 1 at scale: 10,000+ entities of other merchants over many partitions (some of them sharing the
    /// caller's shards), 200 of the caller's own payments. A page costs 16 requests and at most 16 × (limit + 1)
    /// entities, and exactly what it cost before the other merchants' data was there; an empty listing costs the same
    /// 16 requests.
    /// </summary>
    [Fact]
    public async Task ListAsync_WhenTheTableHoldsTenThousandEntitiesOfOtherMerchants_ShouldCostWhatItCostsWithoutThem()
    {
        const int limit = 20;
        var merchant = NewMerchant();
        var empty = await MeasureAsync(merchant, null, limit, null);
        Assert.Equal(SubjectPartitions.PerSubject, empty.Requests);
        Assert.Equal(0, empty.Entities);

        var own = Enumerable.Range(0, 200).Select(i => NewPayment(merchant, (PaymentStatus)(i % 4), Start.AddSeconds(i * 7))).ToList();
        await InsertManyAsync(own);
        var cursor = await SecondPageCursorAsync(merchant, limit);
        var alone = new[] { await MeasureAsync(merchant, null, limit, null), await MeasureAsync(merchant, null, limit, cursor),
            await MeasureAsync(merchant, PaymentStatus.Succeeded, limit, null) };

        // Others: four merchants in the caller's own shards, and a hundred anywhere else, at times interleaved with the caller's.
        var random = new Random(11);
        var others = new List<Payment>();
        foreach (var neighbour in Enumerable.Range(0, 4).Select(_ => NeighbourOf(merchant)))
        {
            others.AddRange(Enumerable.Range(0, 250).Select(i => NewPayment(neighbour, (PaymentStatus)(i % 4), Start.AddSeconds(random.Next(0, 1400)))));
        }

        for (var m = 0; m < 100; m++)
        {
            var stranger = NewMerchant();
            others.AddRange(Enumerable.Range(0, 24).Select(i => NewPayment(stranger, (PaymentStatus)(i % 4), Start.AddSeconds(random.Next(0, 1400)))));
        }

        await InsertManyAsync(others);
        var otherEntities = others.Count * 3;
        var otherPartitions = others.Select(p => p.Id.PartitionKey).Distinct().Count();
        Assert.True(otherEntities >= 10_000 && otherPartitions >= 1_000, $"{otherEntities} entities over {otherPartitions} partitions");

        var crowded = new[] { await MeasureAsync(merchant, null, limit, null), await MeasureAsync(merchant, null, limit, cursor),
            await MeasureAsync(merchant, PaymentStatus.Succeeded, limit, null) };
        output.WriteLine($"Other merchants: {otherEntities} entities over {otherPartitions} partitions. Per page (first, second, status): " +
            $"alone {string.Join("; ", alone)}, crowded {string.Join("; ", crowded)}, empty table {empty}");

        Assert.Equal(alone, crowded);
        Assert.All(crowded, cost => Assert.True(cost.Requests == SubjectPartitions.PerSubject && cost.Entities <= SubjectPartitions.PerSubject * (limit + 1), cost.ToString()));
        var (listed, _) = await ListAllAsync(merchant, null, 100);
        Assert.Equal(NewestFirst(own), listed);
    }

    private async Task<ListingCost> MeasureAsync(string merchant, PaymentStatus? status, int limit, PaymentCursor? after)
    {
        _listingCost.Reset();
        await _listing.ListAsync(merchant, status, limit, after, CancellationToken.None);
        var counted = _listingCost.Snapshot();
        Assert.Equal(counted.Total, counted[StorageOperation.TableQuery]);
        return new ListingCost(counted.Total, counted.EntitiesRead);
    }

    private async Task<PaymentCursor> SecondPageCursorAsync(string merchant, int limit)
    {
        var first = await _listing.ListAsync(merchant, null, limit, null, CancellationToken.None);
        Assert.True(PaymentCursor.TryDecode(first.NextCursor, out var cursor));
        return cursor;
    }

    private async Task<(List<string> Listed, int Pages)> ListAllAsync(string merchant, PaymentStatus? status, int limit)
    {
        var listed = new List<string>();
        PaymentCursor? cursor = null;
        var pages = 0;
        do
        {
            var page = await _listing.ListAsync(merchant, status, limit, cursor, CancellationToken.None);
            Assert.True(page.Payments.Count <= limit);
            listed.AddRange(page.Payments.Select(p => p.Id.Value));
            cursor = page.NextCursor is null ? null : PaymentCursor.TryDecode(page.NextCursor, out var next) ? next : throw new InvalidOperationException("Undecodable cursor.");
            pages++;
        }
        while (cursor is not null && pages < 50);

        return (listed, pages);
    }

    private static IEnumerable<string> NewestFirst(IEnumerable<Payment> payments) =>
        payments.OrderByDescending(p => p.CreatedAt).ThenBy(p => p.Id.Value, StringComparer.Ordinal).Select(p => p.Id.Value);

    private static string NewMerchant() => "merchant-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Another merchant whose shards are the same partitions as <paramref name="merchant"/>'s.</summary>
    private static string NeighbourOf(string merchant)
    {
        while (true)
        {
            var candidate = NewMerchant();
            if (SubjectPartitions.Owns(merchant, SubjectPartitions.All(candidate)[0]))
            {
                return candidate;
            }
        }
    }

    private static Payment NewPayment(string merchant, PaymentStatus status, DateTimeOffset createdAt) =>
        new(PaymentId.New(SubjectPartitions.For(merchant, Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()))), merchant, 1999, "EUR", "tok_visa",
            null, null, new Dictionary<string, string>(), status, null, createdAt, createdAt, createdAt, default);

    private async Task<Payment> InsertAsync(string merchant, PaymentStatus status, DateTimeOffset createdAt)
    {
        var payment = NewPayment(merchant, status, createdAt);
        await _table.SubmitTransactionAsync(PaymentIndex.Insert(payment));
        return payment;
    }

    /// <summary>As the accept path writes them (payment, index copies and a pending one's due entry), 25 payments to a batch per partition.</summary>
    private async Task InsertManyAsync(IEnumerable<Payment> payments)
    {
        var batches = payments.GroupBy(p => p.Id.PartitionKey).SelectMany(partition => partition.Chunk(25)).ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (batch, ct) => await _table.SubmitTransactionAsync(batch.SelectMany(PaymentIndex.Insert), ct));
    }

    private sealed record ListingCost(long Requests, long Entities)
    {
        public override string ToString() => $"{Requests} requests, {Entities} entities";
    }
}
