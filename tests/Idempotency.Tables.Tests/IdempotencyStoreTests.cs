using System.Globalization;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Idempotency.Tables;
using Payments.Testing;

namespace Idempotency.Tables.Tests;

/// <summary>The store's conditional claim, completion and release, on real Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class IdempotencyStoreTests(AzuriteFixture azurite)
{
    private const string Subject = IdempotencyHarness.Subject;
    private static readonly RequestFingerprint Fingerprint = RequestFingerprint.Compute("POST", "/api/v1/payments", "application/json", """{"a":1}"""u8);
    private static readonly RequestFingerprint OtherFingerprint = RequestFingerprint.Compute("POST", "/api/v1/payments", "application/json", """{"a":2}"""u8);

    private static StoredResponse Response(string body = """{"id":"pay_1"}""") =>
        new(201, [new("Location", "/api/v1/payments/pay_1"), new("Content-Type", "application/json"), new("Set-Cookie", "x=1")], Encoding.UTF8.GetBytes(body));

    private static IdempotencyLease Lease(ClaimOutcome outcome) => Assert.IsType<ClaimOutcome.Claimed>(outcome).Lease;

    [Fact]
    public async Task ClaimAsync_WhenKeyIsNew_ShouldClaimWithOneInsertBatchedWithItsExpiryEntry()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var lease = Lease(await h.Store.ClaimAsync(Subject, IdempotencyKey.Parse("k1"), Fingerprint, CancellationToken.None));

        Assert.Equal(1, lease.Execution);
        Assert.False(lease.IsTakeover);
        Assert.Equal(h.Time.GetUtcNow().AddSeconds(30), lease.LockedUntil);
        Assert.Equal(1, h.Counter.Snapshot().Total);
        Assert.Equal(1, h.Counter.Snapshot()[StorageOperation.TableBatch]);
        var stored = (await h.PlainTable.GetEntityAsync<TableEntity>(lease.PartitionKey, lease.RowKey)).Value;
        Assert.Equal("in_progress", stored.GetString("State"));
        var expiryHour = h.Time.GetUtcNow().AddHours(h.Options.RetentionHours).UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
        Assert.True((await h.PlainTable.GetEntityIfExistsAsync<TableEntity>(lease.PartitionKey, $"exp-{expiryHour}-{lease.RowKey}")).HasValue);
        Assert.Equal(Subject, stored.GetString("Subject"));
        Assert.Equal("k1", stored.GetString("IdempotencyKey"));
        Assert.Equal(lease.ETag, stored.ETag);
    }

    [Fact]
    public async Task ClaimAsync_WhenCompletedWithSameFingerprint_ShouldReplayTheStoredResponseByteForByte()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("k1");
        var lease = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        Assert.Equal(LeaseCompletion.Completed, await lease.CompleteAsync(Response(), CancellationToken.None));
        h.Counter.Reset();

        var replay = Assert.IsType<ClaimOutcome.Replay>(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        Assert.Equal(201, replay.Response.StatusCode);
        Assert.Equal("""{"id":"pay_1"}""", Encoding.UTF8.GetString(replay.Response.Body.Span));
        Assert.Equal(
            [new("Location", "/api/v1/payments/pay_1"), new("Content-Type", "application/json")],
            replay.Response.Headers);
        var counted = h.Counter.Snapshot();
        Assert.Equal(2, counted.Total);
        Assert.Equal(1, counted[StorageOperation.TableBatch]); // the insert that failed
        Assert.Equal(1, counted[StorageOperation.EntityRead]);
    }

    [Fact]
    public async Task ClaimAsync_WhenFingerprintDiffers_ShouldReportMismatchWhetherRunningOrCompleted()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("k1");
        var lease = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        Assert.IsType<ClaimOutcome.Mismatch>(await h.Store.ClaimAsync(Subject, key, OtherFingerprint, CancellationToken.None));
        await lease.CompleteAsync(Response(), CancellationToken.None);
        Assert.IsType<ClaimOutcome.Mismatch>(await h.Store.ClaimAsync(Subject, key, OtherFingerprint, CancellationToken.None));
    }

    [Fact]
    public async Task ClaimAsync_WhenRunningWithLiveLock_ShouldReportInProgress()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("k1");
        var lease = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        h.Time.Advance(TimeSpan.FromSeconds(29));

        var inProgress = Assert.IsType<ClaimOutcome.InProgress>(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        Assert.Equal(lease.LockedUntil, inProgress.LockedUntil);
        Assert.Equal(TimeSpan.FromSeconds(1), inProgress.RetryAfter);
    }

    [Fact]
    public async Task ClaimAsync_WhenLockExpired_ShouldTakeOverAndLeaveTheStaleLeasePowerless()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("k1");
        var crashed = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        h.Time.Advance(TimeSpan.FromSeconds(31));

        var taker = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        Assert.Equal(2, taker.Execution);
        Assert.True(taker.IsTakeover);
        Assert.Equal(LeaseCompletion.LeaseLost, await crashed.CompleteAsync(Response("""{"id":"stale"}"""), CancellationToken.None));
        Assert.Equal(IdempotencyLeaseState.Lost, crashed.State);
        Assert.Equal(LeaseCompletion.Completed, await taker.CompleteAsync(Response("""{"id":"taker"}"""), CancellationToken.None));
        var replay = Assert.IsType<ClaimOutcome.Replay>(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        Assert.Equal("""{"id":"taker"}""", Encoding.UTF8.GetString(replay.Response.Body.Span));
    }

    [Fact]
    public async Task ClaimAsync_WhenManyRetriesRaceForAnExpiredLock_ShouldLetExactlyOneTakeOver()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("k1");
        _ = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        h.Time.Advance(TimeSpan.FromSeconds(31));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None))));

        Assert.Single(outcomes.OfType<ClaimOutcome.Claimed>());
        Assert.All(outcomes.Where(o => o is not ClaimOutcome.Claimed), o => Assert.IsType<ClaimOutcome.InProgress>(o));
    }

    [Fact]
    public async Task ClaimAsync_WhenRecordExpired_ShouldTreatTheKeyAsNewEvenForAnotherRequest()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("k1");
        var first = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        await first.CompleteAsync(Response(), CancellationToken.None);
        h.Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));

        var again = Lease(await h.Store.ClaimAsync(Subject, key, OtherFingerprint, CancellationToken.None));

        Assert.Equal(1, again.Execution);
        var stored = (await h.PlainTable.GetEntityAsync<TableEntity>(again.PartitionKey, again.RowKey)).Value;
        Assert.Equal("in_progress", stored.GetString("State"));
        Assert.Equal(OtherFingerprint.Value, stored.GetString("Fingerprint"));
    }

    [Fact]
    public async Task ClaimAsync_WhenRecordVanishesBetweenInsertAndRead_ShouldInsertAgain()
    {
        var plainHolder = new TableClient[1];
        var reaped = new RequestHookPolicy(
            m => StorageOperations.Classify(m.Request) == StorageOperation.EntityRead,
            async () =>
            {
                // A reaper (or a release) deletes the record after our insert failed and before our read.
                using var inspection = StrictStoragePolicy.InspectionByTest();
                await foreach (var e in plainHolder[0].QueryAsync<TableEntity>())
                {
                    await plainHolder[0].DeleteEntityAsync(e.PartitionKey, e.RowKey);
                }
            });
        var h = await IdempotencyHarness.CreateAsync(azurite, extraPolicies: reaped);
        plainHolder[0] = h.PlainTable;
        var key = IdempotencyKey.Parse("k1");
        _ = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        var lease = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        Assert.Equal(1, reaped.Fired);
        Assert.Equal(1, lease.Execution);
    }

    [Fact]
    public async Task ClaimAsync_WhenSubjectsShareAKey_ShouldKeepThemApart()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("shared");
        var a = Lease(await h.Store.ClaimAsync("merchant-a", key, Fingerprint, CancellationToken.None));
        var b = Lease(await h.Store.ClaimAsync("merchant-b", key, Fingerprint, CancellationToken.None));

        Assert.NotEqual(a.RowKey, b.RowKey);
        await a.CompleteAsync(Response("""{"id":"a"}"""), CancellationToken.None);
        Assert.IsType<ClaimOutcome.InProgress>(await h.Store.ClaimAsync("merchant-b", key, Fingerprint, CancellationToken.None));
    }

    [Fact]
    public async Task ClaimAsync_WhenKeyHasCharactersTableKeysForbid_ShouldWork()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("a/b\\c#d?e'f");
        var lease = Lease(await h.Store.ClaimAsync("sub/with#odd?chars\\", key, Fingerprint, CancellationToken.None));
        await lease.CompleteAsync(Response(), CancellationToken.None);

        Assert.IsType<ClaimOutcome.Replay>(await h.Store.ClaimAsync("sub/with#odd?chars\\", key, Fingerprint, CancellationToken.None));
        var stored = (await h.PlainTable.GetEntityAsync<TableEntity>(lease.PartitionKey, lease.RowKey)).Value;
        Assert.Equal("a/b\\c#d?e'f", stored.GetString("IdempotencyKey"));
    }

    [Fact]
    public async Task ReleaseAsync_WhenLeaseIsOwned_ShouldLetTheNextClaimExecute()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("k1");
        var lease = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        Assert.Equal(LeaseRelease.Released, await lease.ReleaseAsync(CancellationToken.None));

        using (StrictStoragePolicy.InspectionByTest())
        {
            Assert.Empty(await h.PlainTable.QueryAsync<TableEntity>().ToListAsync()); // the record and its expiry entry went together
        }

        Assert.Equal(1, Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None)).Execution);
    }

    [Fact]
    public async Task ReleaseAsync_WhenLeaseWasTakenOver_ShouldNotDeleteTheTakersRecord()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("k1");
        var stale = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        h.Time.Advance(TimeSpan.FromSeconds(31));
        var taker = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        Assert.Equal(LeaseRelease.LeaseLost, await stale.ReleaseAsync(CancellationToken.None));

        var stored = (await h.PlainTable.GetEntityAsync<TableEntity>(taker.PartitionKey, taker.RowKey)).Value;
        Assert.Equal(taker.ETag, stored.ETag);
    }

    [Fact]
    public async Task CompleteAsync_WhenResponseSpansSeveralChunks_ShouldReplayEveryByte()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("big");
        var body = new byte[200 * 1024 + 7];
        new Random(42).NextBytes(body);
        var lease = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        await lease.CompleteAsync(new StoredResponse(200, [new("Content-Type", "application/octet-stream")], body), CancellationToken.None);

        var replay = Assert.IsType<ClaimOutcome.Replay>(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        Assert.Equal(body, replay.Response.Body.ToArray());
        var stored = (await h.PlainTable.GetEntityAsync<TableEntity>(lease.PartitionKey, lease.RowKey)).Value;
        Assert.Equal(4, stored.GetInt32("ResponseBodyChunks"));
    }

    [Fact]
    public async Task SubmitAsync_WhenBatchedWithTheResource_ShouldCommitBothInOneTransaction()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("k1");
        var lease = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        h.Counter.Reset();

        var resource = new TableEntity(lease.PartitionKey, "payment-pay_1") { ["Amount"] = 1999 };
        Assert.Equal(BatchCommit.Committed, await lease.SubmitAsync([new TableTransactionAction(TableTransactionActionType.Add, resource)], Response(), CancellationToken.None));

        Assert.Equal(1, h.Counter.Snapshot().Total);
        Assert.Equal(1, h.Counter.Snapshot()[StorageOperation.TableBatch]);
        Assert.Equal(IdempotencyLeaseState.CompletedByHandler, lease.State);
        Assert.IsType<ClaimOutcome.Replay>(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        Assert.True((await h.PlainTable.GetEntityIfExistsAsync<TableEntity>(lease.PartitionKey, "payment-pay_1")).HasValue);
    }

    [Fact]
    public async Task SubmitAsync_WhenLeaseWasTakenOver_ShouldWriteNothingAndAnswerInProgress()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("k1");
        var stale = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        h.Time.Advance(TimeSpan.FromSeconds(31));
        _ = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));

        var resource = new TableEntity(stale.PartitionKey, "payment-stale") { ["Amount"] = 1999 };
        var outcome = await stale.SubmitAsync([new TableTransactionAction(TableTransactionActionType.Add, resource)], Response(), CancellationToken.None);

        Assert.Equal(BatchCommit.Answered, outcome);
        Assert.Equal(IdempotencyLeaseState.Answered, stale.State);
        Assert.False((await h.PlainTable.GetEntityIfExistsAsync<TableEntity>(stale.PartitionKey, "payment-stale")).HasValue);
    }

    [Fact]
    public async Task CompleteAsync_WhenTheAnswerToTheWriteIsLost_ShouldStillReportCompleted()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = IdempotencyKey.Parse("k1");
        var lease = Lease(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
        // The replace reaches the service, the 503 that comes back is invented: the SDK retries with the old ETag and gets 412.
        var fault = h.Faults.Add(StorageOperation.TableBatch, StorageFaultKind.ServiceUnavailable, StorageFaultTiming.AfterSending, times: 1);

        Assert.Equal(LeaseCompletion.Completed, await lease.CompleteAsync(Response(), CancellationToken.None));

        Assert.Equal(1, fault.Hits);
        Assert.IsType<ClaimOutcome.Replay>(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
    }

    [Fact]
    public async Task ClaimAsync_WhenTheAnswerToTheInsertIsLost_ShouldRecognizeItsOwnClaim()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var fault = h.Faults.Add(StorageOperation.TableBatch, StorageFaultKind.NetworkError, StorageFaultTiming.AfterSending, times: 1);

        var lease = Lease(await h.Store.ClaimAsync(Subject, IdempotencyKey.Parse("k1"), Fingerprint, CancellationToken.None));

        Assert.Equal(1, fault.Hits);
        Assert.Equal(LeaseCompletion.Completed, await lease.CompleteAsync(Response(), CancellationToken.None));
    }

    [Fact]
    public async Task CompleteAsync_WhenCalledTwice_ShouldRefuseTheSecondCall()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var lease = Lease(await h.Store.ClaimAsync(Subject, IdempotencyKey.Parse("k1"), Fingerprint, CancellationToken.None));
        await lease.CompleteAsync(Response(), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => lease.CompleteAsync(Response(), CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => lease.ReleaseAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ClaimAsync_WhenStoreAnswers503OnEveryAttempt_ShouldThrowForTheCallerToMap()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var fault = h.Faults.Add(StorageOperation.TableBatch, StorageFaultKind.ServiceUnavailable, StorageFaultTiming.BeforeSending);

        var failed = await Assert.ThrowsAsync<RequestFailedException>(
            () => h.Store.ClaimAsync(Subject, IdempotencyKey.Parse("k1"), Fingerprint, CancellationToken.None));

        Assert.Equal(503, failed.Status);
        Assert.Equal(4, fault.Hits); // the first attempt and the fixture clients' 3 retries (AzuriteClients)
        Assert.Equal(0, h.Counter.Snapshot().Total);
    }
}
