using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Payments.Testing;

namespace Idempotency.Tables.Tests;

/// <summary>
/// What every idempotency store must do, run against each one: <see cref="TableIdempotencyStoreTests"/> on Azurite
/// (behind the strict storage guard) and <see cref="InMemoryIdempotencyStoreTests"/> in memory. The first half holds the
/// table under the store to Table Storage's conditional-write answers; the second half holds the store's operations.
/// </summary>
public abstract class IdempotencyStoreContract
{
    private const string Subject = "caller-1";
    private static readonly RequestFingerprint Fingerprint = RequestFingerprint.Compute("POST", "/things", "application/json", """{"a":1}"""u8);
    private static readonly RequestFingerprint OtherFingerprint = RequestFingerprint.Compute("POST", "/things", "application/json", """{"a":2}"""u8);

    /// <summary>A new, empty table of the kind under test.</summary>
    protected abstract Task<TableClient> CreateTableAsync();

    private async Task<(IdempotencyStore Store, FakeTimeProvider Time, TableClient Table)> CreateStoreAsync()
    {
        var table = await CreateTableAsync();
        var time = new FakeTimeProvider();
        return (new IdempotencyStore(table, new IdempotencyOptions(), time, NullLogger<IdempotencyStore>.Instance), time, table);
    }

    private static StoredResponse Response(string body = """{"id":"t_1"}""") =>
        new(201, [new("Location", "/things/t_1"), new("Content-Type", "application/json")], Encoding.UTF8.GetBytes(body));

    private static IdempotencyLease Lease(ClaimOutcome outcome) => Assert.IsType<ClaimOutcome.Claimed>(outcome).Lease;

    [Fact]
    public async Task AddEntityAsync_WhenTheEntityExists_ShouldFailWith409AndKeepTheFirst()
    {
        var table = await CreateTableAsync();
        var first = await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 });

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 2 }));

        Assert.Equal(409, failure.Status);
        Assert.Equal("EntityAlreadyExists", failure.ErrorCode);
        var stored = (await table.GetEntityAsync<TableEntity>("p", "r")).Value;
        Assert.Equal(1, stored.GetInt32("V"));
        Assert.Equal(first.Headers.ETag, stored.ETag);
    }

    [Fact]
    public async Task UpdateEntityAsync_WhenTheETagIsStale_ShouldFailWith412AndChangeNothing()
    {
        var table = await CreateTableAsync();
        var added = await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 });
        var updated = await table.UpdateEntityAsync(new TableEntity("p", "r") { ["V"] = 2 }, added.Headers.ETag!.Value, TableUpdateMode.Replace);

        var failure = await Assert.ThrowsAsync<RequestFailedException>(
            () => table.UpdateEntityAsync(new TableEntity("p", "r") { ["V"] = 3 }, added.Headers.ETag!.Value, TableUpdateMode.Replace));

        Assert.Equal(412, failure.Status);
        Assert.NotEqual(added.Headers.ETag, updated.Headers.ETag);
        Assert.Equal(2, (await table.GetEntityAsync<TableEntity>("p", "r")).Value.GetInt32("V"));
    }

    [Fact]
    public async Task UpdateEntityAsync_WhenTheEntityIsMissing_ShouldFailWith404()
    {
        var table = await CreateTableAsync();

        var failure = await Assert.ThrowsAsync<RequestFailedException>(
            () => table.UpdateEntityAsync(new TableEntity("p", "missing"), ETag.All, TableUpdateMode.Replace));

        Assert.Equal(404, failure.Status);
    }

    [Fact]
    public async Task DeleteEntityAsync_WhenMissingOrStale_ShouldAnswer404OrFailWith412()
    {
        var table = await CreateTableAsync();
        var added = await table.AddEntityAsync(new TableEntity("p", "r"));
        await table.UpdateEntityAsync(new TableEntity("p", "r") { ["V"] = 1 }, added.Headers.ETag!.Value, TableUpdateMode.Replace);

        var stale = await Assert.ThrowsAsync<RequestFailedException>(() => table.DeleteEntityAsync("p", "r", added.Headers.ETag!.Value));
        var missing = await table.DeleteEntityAsync("p", "missing", ETag.All);

        Assert.Equal(412, stale.Status);
        Assert.Equal(404, missing.Status);
        Assert.True((await table.GetEntityIfExistsAsync<TableEntity>("p", "r")).HasValue);
    }

    [Fact]
    public async Task SubmitTransactionAsync_WhenOneActionFails_ShouldWriteNothingAndNameTheAction()
    {
        var table = await CreateTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "taken"));

        var failure = await Assert.ThrowsAsync<TableTransactionFailedException>(() => table.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "new")),
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "taken")),
        ]));

        Assert.Equal(409, failure.Status);
        Assert.Equal(1, failure.FailedTransactionActionIndex);
        Assert.False((await table.GetEntityIfExistsAsync<TableEntity>("p", "new")).HasValue);
    }

    [Fact]
    public async Task AddEntityAsync_WhenABinaryPropertyIsOver64KiB_ShouldRefuseWith400()
    {
        var table = await CreateTableAsync();

        var failure = await Assert.ThrowsAsync<RequestFailedException>(
            () => table.AddEntityAsync(new TableEntity("p", "r") { ["Blob"] = new byte[(64 * 1024) + 1] }));

        Assert.Equal(400, failure.Status);
        Assert.False((await table.GetEntityIfExistsAsync<TableEntity>("p", "r")).HasValue);
    }

    [Fact]
    public async Task ClaimAsync_WhenCompleted_ShouldReplayTheStoredResponseByteForByte()
    {
        var (store, _, _) = await CreateStoreAsync();
        var key = IdempotencyKey.Parse("k1");
        var lease = Lease(await store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        Assert.Equal(LeaseCompletion.Completed, await lease.CompleteAsync(Response(), CancellationToken.None));

        var replay = Assert.IsType<ClaimOutcome.Replay>(await store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        Assert.Equal(201, replay.Response.StatusCode);
        Assert.Equal("""{"id":"t_1"}""", Encoding.UTF8.GetString(replay.Response.Body.Span));
        Assert.Equal([new("Location", "/things/t_1"), new("Content-Type", "application/json")], replay.Response.Headers);
    }

    [Fact]
    public async Task ClaimAsync_WhenTheFingerprintDiffers_ShouldReportMismatchWhetherRunningOrCompleted()
    {
        var (store, _, _) = await CreateStoreAsync();
        var key = IdempotencyKey.Parse("k1");
        var lease = Lease(await store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        Assert.IsType<ClaimOutcome.Mismatch>(await store.ClaimAsync(Subject, key, OtherFingerprint, CancellationToken.None));
        await lease.CompleteAsync(Response(), CancellationToken.None);
        Assert.IsType<ClaimOutcome.Mismatch>(await store.ClaimAsync(Subject, key, OtherFingerprint, CancellationToken.None));
    }

    [Fact]
    public async Task ClaimAsync_WhenTheLockIsLive_ShouldReportInProgressUntilItExpires()
    {
        var (store, time, _) = await CreateStoreAsync();
        var key = IdempotencyKey.Parse("k1");
        var lease = Lease(await store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(29));

        var inProgress = Assert.IsType<ClaimOutcome.InProgress>(await store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        Assert.Equal(lease.LockedUntil, inProgress.LockedUntil);
    }

    [Fact]
    public async Task ClaimAsync_WhenTheLockExpired_ShouldLetExactlyOneTakeOverAndLeaveTheStaleLeasePowerless()
    {
        var (store, time, _) = await CreateStoreAsync();
        var key = IdempotencyKey.Parse("k1");
        var crashed = Lease(await store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(31));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None))));

        var taker = Assert.Single(outcomes.OfType<ClaimOutcome.Claimed>()).Lease;
        Assert.All(outcomes.Where(o => o is not ClaimOutcome.Claimed), o => Assert.IsType<ClaimOutcome.InProgress>(o));
        Assert.Equal(2, taker.Execution);
        Assert.Equal(crashed.ResourceSeed, taker.ResourceSeed);
        Assert.Equal(LeaseCompletion.LeaseLost, await crashed.CompleteAsync(Response("""{"id":"stale"}"""), CancellationToken.None));
        Assert.Equal(LeaseCompletion.Completed, await taker.CompleteAsync(Response("""{"id":"taker"}"""), CancellationToken.None));
        var replay = Assert.IsType<ClaimOutcome.Replay>(await store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        Assert.Equal("""{"id":"taker"}""", Encoding.UTF8.GetString(replay.Response.Body.Span));
    }

    [Fact]
    public async Task ClaimAsync_WhenTheRecordExpired_ShouldStartTheKeyOverWithANewGeneration()
    {
        var (store, time, table) = await CreateStoreAsync();
        var key = IdempotencyKey.Parse("k1");
        var first = Lease(await store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        await first.CompleteAsync(Response(), CancellationToken.None);
        time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));

        var again = Lease(await store.ClaimAsync(Subject, key, OtherFingerprint, CancellationToken.None));

        Assert.Equal(1, again.Execution);
        Assert.NotEqual(first.ResourceSeed, again.ResourceSeed);
        var stored = (await table.GetEntityAsync<TableEntity>(again.PartitionKey, again.RowKey)).Value;
        Assert.Equal("in_progress", stored.GetString("State"));
        Assert.Equal(OtherFingerprint.Value, stored.GetString("Fingerprint"));
    }

    [Fact]
    public async Task ReleaseAsync_WhenOwnedOrTakenOver_ShouldFreeTheKeyOnlyForItsOwner()
    {
        var (store, time, table) = await CreateStoreAsync();
        var released = Lease(await store.ClaimAsync(Subject, IdempotencyKey.Parse("k1"), Fingerprint, CancellationToken.None));
        var stale = Lease(await store.ClaimAsync(Subject, IdempotencyKey.Parse("k2"), Fingerprint, CancellationToken.None));

        Assert.Equal(LeaseRelease.Released, await released.ReleaseAsync(CancellationToken.None));
        Assert.Equal(1, Lease(await store.ClaimAsync(Subject, IdempotencyKey.Parse("k1"), Fingerprint, CancellationToken.None)).Execution);
        time.Advance(TimeSpan.FromSeconds(31));
        var taker = Lease(await store.ClaimAsync(Subject, IdempotencyKey.Parse("k2"), Fingerprint, CancellationToken.None));
        Assert.Equal(LeaseRelease.LeaseLost, await stale.ReleaseAsync(CancellationToken.None));
        Assert.Equal(taker.ETag, (await table.GetEntityAsync<TableEntity>(taker.PartitionKey, taker.RowKey)).Value.ETag);
    }

    [Fact]
    public async Task CompleteAsync_WhenTheResponseSpansSeveralChunks_ShouldReplayEveryByte()
    {
        var (store, _, _) = await CreateStoreAsync();
        var key = IdempotencyKey.Parse("big");
        var body = new byte[(200 * 1024) + 7];
        new Random(42).NextBytes(body);
        var lease = Lease(await store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        await lease.CompleteAsync(new StoredResponse(200, [new("Content-Type", "application/octet-stream")], body), CancellationToken.None);

        var replay = Assert.IsType<ClaimOutcome.Replay>(await store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        Assert.Equal(body, replay.Response.Body.ToArray());
    }

    [Fact]
    public async Task CompleteAsync_WhenCalledTwice_ShouldRefuseTheSecondCall()
    {
        var (store, _, _) = await CreateStoreAsync();
        var lease = Lease(await store.ClaimAsync(Subject, IdempotencyKey.Parse("k1"), Fingerprint, CancellationToken.None));
        await lease.CompleteAsync(Response(), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => lease.CompleteAsync(Response(), CancellationToken.None));
    }

    [Fact]
    public async Task SubmitAsync_WhenClaimlessDuplicatesRace_ShouldCommitOneAndAnswerTheOthersWithItsOutcome()
    {
        var (store, _, _) = await CreateStoreAsync();
        var key = IdempotencyKey.Parse("k1");
        var leases = Enumerable.Range(0, 6).Select(_ => store.BeginClaimless(Subject, key, Fingerprint)).ToList();

        var commits = await Task.WhenAll(leases.Select((lease, i) => Task.Run(() => lease.SubmitAsync([], Response($$"""{"id":"t_{{i}}"}"""), CancellationToken.None))));

        var winner = leases[Array.IndexOf(commits, BatchCommit.Committed)];
        Assert.Single(commits, BatchCommit.Committed);
        var replay = Assert.IsType<ClaimOutcome.Replay>(await store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        Assert.Equal($$"""{"id":"t_{{leases.IndexOf(winner)}}"}""", Encoding.UTF8.GetString(replay.Response.Body.Span));
        Assert.All(leases.Where(lease => lease != winner), lease => Assert.Equal(IdempotencyLeaseState.Answered, lease.State));
    }

    [Fact]
    public async Task SubmitAsync_WhenTheKeyHoldsAnotherRequest_ShouldWriteNothingAndAnswerMismatch()
    {
        var (store, _, table) = await CreateStoreAsync();
        var key = IdempotencyKey.Parse("k1");
        var first = store.BeginClaimless(Subject, key, Fingerprint);
        await first.SubmitAsync([], Response(), CancellationToken.None);
        var other = store.BeginClaimless(Subject, key, OtherFingerprint);

        Assert.Equal(BatchCommit.Answered, await other.SubmitAsync([], Response("""{"id":"other"}"""), CancellationToken.None));

        var stored = (await table.GetEntityAsync<TableEntity>(first.PartitionKey, first.RowKey)).Value;
        Assert.Equal(Fingerprint.Value, stored.GetString("Fingerprint"));
    }
}

/// <summary>The contract on Table Storage (Azurite), every request through the strict storage guard.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableIdempotencyStoreTests(AzuriteFixture azurite) : IdempotencyStoreContract
{
    protected override Task<TableClient> CreateTableAsync() => azurite.CreateTableAsync("contract");
}

/// <summary>The contract in memory.</summary>
public sealed class InMemoryIdempotencyStoreTests : IdempotencyStoreContract
{
    protected override Task<TableClient> CreateTableAsync() => Task.FromResult<TableClient>(new InMemoryTable("contract"));

    // Not in the shared contract: Azurite commits a transaction whose actions span partitions, which Table Storage
    // refuses with 400 CommandsInBatchActOnDifferentPartitions. The in-memory table answers as Azure does.
    [Fact]
    public async Task SubmitTransactionAsync_WhenActionsSpanPartitions_ShouldRefuseWith400()
    {
        var table = new InMemoryTable("contract");

        var failure = await Assert.ThrowsAsync<TableTransactionFailedException>(() => table.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p1", "a")),
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p2", "b")),
        ]));

        Assert.Equal(400, failure.Status);
        Assert.False((await table.GetEntityIfExistsAsync<TableEntity>("p1", "a")).HasValue);
    }
}
