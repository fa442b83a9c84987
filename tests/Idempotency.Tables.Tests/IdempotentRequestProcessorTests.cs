using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Idempotency.Tables;
using Microsoft.Extensions.Logging;
using Payments.Testing;

namespace Idempotency.Tables.Tests;

/// <summary>The orchestrator end to end over real Azurite: every rule of the contract, concurrency, crashes and faults.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class IdempotentRequestProcessorTests(AzuriteFixture azurite)
{
    /// <summary>The default of Idempotency:ProblemTypeBaseUri.</summary>
    private const string ProblemBase = "/problems/";

    private static IdempotentRequest Request(string? key, string body = """{"amount":1999,"currency":"EUR"}""", string subject = IdempotencyHarness.Subject) =>
        IdempotencyHarness.Request(key, body, subject);

    private static string Header(IdempotentResponse response, string name) =>
        response.Headers.Single(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static bool HasHeader(IdempotentResponse response, string name) =>
        response.Headers.Any(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));

    private static JsonElement Problem(IdempotentResponse response)
    {
        Assert.Equal("application/problem+json", Header(response, "Content-Type"));
        using var document = JsonDocument.Parse(response.Body);
        return document.RootElement.Clone();
    }

    private static void AssertIdenticalReplay(IdempotentResponse first, IdempotentResponse replay)
    {
        Assert.Equal(IdempotencyDisposition.Replayed, replay.Disposition);
        Assert.Equal(first.StatusCode, replay.StatusCode);
        Assert.Equal(first.Body.ToArray(), replay.Body.ToArray());
        Assert.Equal(Header(first, "Location"), Header(replay, "Location"));
        Assert.Equal(Header(first, "Content-Type"), Header(replay, "Content-Type"));
        Assert.Equal("true", Header(replay, "Idempotent-Replayed"));
    }

    [Fact]
    public async Task ProcessAsync_WhenKeyIsNew_ShouldExecuteOnceAndReplayAfterwards()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();

        var first = await h.Processor.ProcessAsync(Request("k1"), handler.Handle, CancellationToken.None);
        var second = await h.Processor.ProcessAsync(Request("\"k1\""), handler.Handle, CancellationToken.None);

        Assert.Equal(IdempotencyDisposition.Executed, first.Disposition);
        Assert.Equal(201, first.StatusCode);
        Assert.False(HasHeader(first, "Idempotent-Replayed"));
        AssertIdenticalReplay(first, second);
        Assert.False(HasHeader(second, "Date")); // only the headers that describe the outcome are kept
        Assert.Equal(1, handler.Executions);
    }

    [Fact]
    public async Task ProcessAsync_WhenJsonBodyIsReorderedOnRetry_ShouldReplay()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();
        await h.Processor.ProcessAsync(Request("k1", """{"amount":1999,"currency":"EUR"}"""), handler.Handle, CancellationToken.None);

        var retry = await h.Processor.ProcessAsync(Request("k1", """{ "currency": "EUR", "amount": 1999 }"""), handler.Handle, CancellationToken.None);

        Assert.Equal(IdempotencyDisposition.Replayed, retry.Disposition);
        Assert.Equal(1, handler.Executions);
    }

    [Fact]
    public async Task ProcessAsync_WhenKeyIsReusedForADifferentRequest_ShouldAnswer422AndNotExecute()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();
        await h.Processor.ProcessAsync(Request("k1", """{"amount":1999}"""), handler.Handle, CancellationToken.None);

        var reused = await h.Processor.ProcessAsync(Request("k1", """{"amount":5}"""), handler.Handle, CancellationToken.None);
        var otherPath = await h.Processor.ProcessAsync(
            IdempotencyHarness.Request("k1", """{"amount":1999}""", path: "/api/v1/customers"), handler.Handle, CancellationToken.None);

        Assert.Equal(422, reused.StatusCode);
        Assert.Equal(IdempotencyDisposition.Mismatch, reused.Disposition);
        Assert.Contains("use a new key for a new request", Problem(reused).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(422, otherPath.StatusCode);
        Assert.Equal(1, handler.Executions);
    }

    [Fact]
    public async Task ProcessAsync_WhenFirstAttemptIsStillRunning_ShouldAnswer409WithRetryAfter()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = h.Processor.ProcessAsync(Request("k1"), async (_, ct) =>
        {
            running.SetResult();
            await gate.Task.WaitAsync(ct);
            return IdempotencyHarness.Created("pay_1");
        }, CancellationToken.None);
        await running.Task;

        var duplicate = await h.Processor.ProcessAsync(Request("k1"), (_, _) => throw new InvalidOperationException("must not run"), CancellationToken.None);
        gate.SetResult();
        await first;

        Assert.Equal(409, duplicate.StatusCode);
        Assert.Equal(IdempotencyDisposition.InProgress, duplicate.Disposition);
        Assert.Equal("1", Header(duplicate, "Retry-After"));
        var problem = Problem(duplicate);
        Assert.Equal(409, problem.GetProperty("status").GetInt32());
        Assert.Equal(ProblemBase + IdempotencyProblems.InProgressName, problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task ProcessAsync_WhenWaitingForInFlightIsEnabled_ShouldReturnTheFirstAttemptsReplay()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite, o => o.WaitForInFlightMs = 10_000);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var executions = 0;
        var first = h.Processor.ProcessAsync(Request("k1"), async (_, ct) =>
        {
            Interlocked.Increment(ref executions);
            running.SetResult();
            await gate.Task.WaitAsync(ct);
            return IdempotencyHarness.Created("pay_1");
        }, CancellationToken.None);
        await running.Task;

        var duplicate = h.Processor.ProcessAsync(Request("k1"), (_, _) => throw new InvalidOperationException("must not run"), CancellationToken.None);
        // The duplicate has found the key in progress (its insert failed and it read the record) and is now waiting.
        await Eventually.TrueAsync(() => h.Counter.Snapshot()[StorageOperation.EntityRead] >= 1, "the duplicate read the running record");
        Assert.False(duplicate.IsCompleted);
        gate.SetResult();

        var original = await first;
        var replay = await h.AdvanceUntilCompletedAsync(duplicate);
        AssertIdenticalReplay(original, replay);
        Assert.Equal(1, executions);
    }

    [Fact]
    public async Task ProcessAsync_WhenACallerHasMoreDuplicatesWaitingThanAllowed_ShouldAnswerTheRest409AtOnce()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite, o =>
        {
            o.WaitForInFlightMs = 10_000;
            o.MaxWaitersPerCaller = 2;
        });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = h.Processor.ProcessAsync(Request("k-waiters"), async (_, ct) =>
        {
            running.SetResult();
            await gate.Task.WaitAsync(ct);
            return IdempotencyHarness.Created("pay_1");
        }, CancellationToken.None);
        await running.Task;

        var waiting = Enumerable.Range(0, 2)
            .Select(_ => h.Processor.ProcessAsync(Request("k-waiters"), (_, _) => throw new InvalidOperationException("must not run"), CancellationToken.None))
            .ToList();
        await Eventually.TrueAsync(() => h.Processor.Waiters.Count(IdempotencyHarness.Subject) == 2, "two duplicates wait");
        var refused = await Task.WhenAll(Enumerable.Range(0, 3)
            .Select(_ => h.Processor.ProcessAsync(Request("k-waiters"), (_, _) => throw new InvalidOperationException("must not run"), CancellationToken.None)));

        Assert.All(refused, r => Assert.Equal(409, r.StatusCode));
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        // Another caller is not held back by this one's waiters.
        Assert.True(h.Processor.Waiters.TryEnter("merchant-other"));
        h.Processor.Waiters.Exit("merchant-other");
        gate.SetResult();
        var original = await first;
        foreach (var duplicate in await h.AdvanceUntilCompletedAsync(Task.WhenAll(waiting)))
        {
            AssertIdenticalReplay(original, duplicate);
        }

        Assert.Equal(0, h.Processor.Waiters.Count(IdempotencyHarness.Subject));
    }

    [Fact]
    public async Task ProcessAsync_When100IdenticalRequestsArriveAtOnce_ShouldExecuteExactlyOnce()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();

        var answers = await Task.WhenAll(Enumerable.Range(0, 100)
            .Select(_ => Task.Run(() => h.Processor.ProcessAsync(Request("burst"), handler.Handle, CancellationToken.None))));

        Assert.Equal(1, handler.Executions);
        var executed = Assert.Single(answers, a => a.Disposition == IdempotencyDisposition.Executed);
        Assert.All(answers.Where(a => a != executed), a =>
        {
            if (a.StatusCode == 409)
            {
                Assert.Equal(IdempotencyDisposition.InProgress, a.Disposition);
            }
            else
            {
                AssertIdenticalReplay(executed, a);
            }
        });
        AssertIdenticalReplay(executed, await h.Processor.ProcessAsync(Request("burst"), handler.Handle, CancellationToken.None));
    }

    [Fact]
    public async Task ProcessAsync_When50RequestsShareAKeyWithDifferentBodies_ShouldExecuteExactlyOne()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();

        var answers = await Task.WhenAll(Enumerable.Range(0, 50)
            .Select(i => Task.Run(() => h.Processor.ProcessAsync(Request("contested", $$"""{"amount":{{i + 1}}}"""), handler.Handle, CancellationToken.None))));

        Assert.Equal(1, handler.Executions);
        Assert.Single(answers, a => a.Disposition == IdempotencyDisposition.Executed);
        Assert.All(answers.Where(a => a.Disposition != IdempotencyDisposition.Executed), a => Assert.Contains(a.StatusCode, new[] { 409, 422 }));
    }

    [Fact]
    public async Task ProcessAsync_WhenAnAttemptCrashedAfterClaiming_ShouldExecuteOnceMoreAfterTheLockAndThenReplay()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();
        var request = Request("crash");
        // The crashed process claimed the key and never finished.
        var fingerprint = RequestFingerprint.Compute(request.Method, request.Path, request.ContentType, request.Body.Span);
        Assert.IsType<ClaimOutcome.Claimed>(await h.Store.ClaimAsync(request.Subject, IdempotencyKey.Parse("crash"), fingerprint, CancellationToken.None));

        var tooEarly = await h.Processor.ProcessAsync(request, handler.Handle, CancellationToken.None);
        h.Time.Advance(TimeSpan.FromSeconds(h.Options.LockSeconds + 1));
        IdempotencyLease? takenOver = null;
        var retried = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => h.Processor.ProcessAsync(request, (lease, ct) =>
        {
            takenOver = lease;
            return handler.Handle(lease, ct);
        }, CancellationToken.None))));
        var later = await h.Processor.ProcessAsync(request, handler.Handle, CancellationToken.None);

        Assert.Equal(409, tooEarly.StatusCode);
        Assert.Equal(1, handler.Executions);
        Assert.NotNull(takenOver);
        Assert.True(takenOver.IsTakeover);
        var executed = Assert.Single(retried, a => a.Disposition == IdempotencyDisposition.Executed);
        AssertIdenticalReplay(executed, later);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheLeaseIsTakenOverWhileTheHandlerRuns_ShouldAnswer409InProgressAndNotStoreItsOutcome()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();
        var request = Request("slow");
        var fingerprint = RequestFingerprint.Compute(request.Method, request.Path, request.ContentType, request.Body.Span);

        var slow = await h.Processor.ProcessAsync(request, async (lease, ct) =>
        {
            // The handler outlives its lock and a retry takes the key over before it finishes.
            h.Time.Advance(h.Options.Lock + TimeSpan.FromSeconds(1));
            Assert.IsType<ClaimOutcome.Claimed>(await h.Store.ClaimAsync(request.Subject, IdempotencyKey.Parse("slow"), fingerprint, ct));
            return await handler.Handle(lease, ct);
        }, CancellationToken.None);

        Assert.Equal(409, slow.StatusCode);
        Assert.Equal(IdempotencyDisposition.InProgress, slow.Disposition);
        Assert.Equal(ProblemBase + IdempotencyProblems.InProgressName, Problem(slow).GetProperty("type").GetString());
        var record = IdempotencyRecordKey.For(request.Subject, IdempotencyKey.Parse("slow"));
        Assert.Equal("in_progress", (await h.PlainTable.GetEntityAsync<TableEntity>(record.PartitionKey, record.RowKey)).Value.GetString("State"));
    }

    [Fact]
    public async Task ProcessAsync_WhenTwoSubjectsUseTheSameKey_ShouldExecuteForEach()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();

        var a = await h.Processor.ProcessAsync(Request("shared", subject: "merchant-a"), handler.Handle, CancellationToken.None);
        var b = await h.Processor.ProcessAsync(Request("shared", subject: "merchant-b"), handler.Handle, CancellationToken.None);
        var aAgain = await h.Processor.ProcessAsync(Request("shared", subject: "merchant-a"), handler.Handle, CancellationToken.None);

        Assert.Equal(2, handler.Executions);
        Assert.Equal(IdempotencyDisposition.Executed, b.Disposition);
        Assert.NotEqual(Header(a, "Location"), Header(b, "Location"));
        AssertIdenticalReplay(a, aAgain);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheKeyExpired_ShouldAcceptItAsNew()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();
        await h.Processor.ProcessAsync(Request("old"), handler.Handle, CancellationToken.None);
        h.Time.Advance(TimeSpan.FromHours(h.Options.RetentionHours) + TimeSpan.FromSeconds(1));

        var again = await h.Processor.ProcessAsync(Request("old", """{"amount":5}"""), handler.Handle, CancellationToken.None);

        Assert.Equal(IdempotencyDisposition.Executed, again.Disposition);
        Assert.Equal(2, handler.Executions);
    }

    [Theory]
    [InlineData(null, ProblemBase + IdempotencyProblems.KeyMissingName)]
    [InlineData("", ProblemBase + IdempotencyProblems.KeyInvalidName)]
    [InlineData("has space", ProblemBase + IdempotencyProblems.KeyInvalidName)]
    [InlineData("\"unterminated", ProblemBase + IdempotencyProblems.KeyInvalidName)]
    public async Task ProcessAsync_WhenKeyIsMissingOrInvalid_ShouldAnswer400WithoutTouchingStorage(string? key, string type)
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();

        var answer = await h.Processor.ProcessAsync(Request(key) with { TraceId = "trace-1" }, handler.Handle, CancellationToken.None);

        Assert.Equal(400, answer.StatusCode);
        Assert.Equal(IdempotencyDisposition.Rejected, answer.Disposition);
        var problem = Problem(answer);
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Equal("trace-1", problem.GetProperty("traceId").GetString());
        Assert.Equal("/api/v1/payments", problem.GetProperty("instance").GetString());
        Assert.Equal(0, handler.Executions);
        Assert.Equal(0, h.Counter.Snapshot().Total);
    }

    [Fact]
    public async Task ProcessAsync_WhenBodyExceedsTheLimit_ShouldAnswer413BeforeClaiming()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite, o => o.MaxRequestBodyBytes = 100);
        var handler = new CountingHandler();

        var answer = await h.Processor.ProcessAsync(Request("k1", $$"""{"description":"{{new string('x', 100)}}"}"""), handler.Handle, CancellationToken.None);

        Assert.Equal(413, answer.StatusCode);
        Assert.Contains("at most 100", Problem(answer).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, handler.Executions);
        Assert.Equal(0, h.Counter.Snapshot().Total);
    }

    [Theory]
    [InlineData(500, ResponseRetention.Default)]
    [InlineData(503, ResponseRetention.Final)]
    [InlineData(400, ResponseRetention.Default)]
    [InlineData(429, ResponseRetention.Default)]
    [InlineData(201, ResponseRetention.Transient)]
    public async Task ProcessAsync_WhenOutcomeIsNotStored_ShouldReleaseTheKeySoARetryExecutes(int status, ResponseRetention retention)
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var executions = 0;
        Task<HandlerResult> Handle(IdempotencyLease lease, CancellationToken ct) =>
            Task.FromResult(new HandlerResult(Interlocked.Increment(ref executions) == 1 ? status : 201, [], "{}"u8.ToArray()) { Retention = retention });

        var first = await h.Processor.ProcessAsync(Request("k1"), Handle, CancellationToken.None);
        var retry = await h.Processor.ProcessAsync(Request("k1"), Handle, CancellationToken.None);

        Assert.Equal(status, first.StatusCode);
        Assert.Equal(IdempotencyDisposition.Executed, retry.Disposition);
        Assert.Equal(2, executions);
    }

    [Theory]
    [InlineData(422, ResponseRetention.Default)]
    [InlineData(409, ResponseRetention.Default)]
    [InlineData(402, ResponseRetention.Final)]
    [InlineData(400, ResponseRetention.Final)]
    [InlineData(200, ResponseRetention.Default)]
    public async Task ProcessAsync_WhenOutcomeIsFinal_ShouldStoreAndReplayIt(int status, ResponseRetention retention)
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var executions = 0;
        Task<HandlerResult> Handle(IdempotencyLease lease, CancellationToken ct)
        {
            Interlocked.Increment(ref executions);
            return Task.FromResult(new HandlerResult(status, [new("Content-Type", "application/problem+json")], """{"title":"declined"}"""u8.ToArray()) { Retention = retention });
        }

        await h.Processor.ProcessAsync(Request("k1"), Handle, CancellationToken.None);
        var retry = await h.Processor.ProcessAsync(Request("k1"), Handle, CancellationToken.None);

        Assert.Equal(IdempotencyDisposition.Replayed, retry.Disposition);
        Assert.Equal(status, retry.StatusCode);
        Assert.Equal("""{"title":"declined"}""", IdempotencyHarness.Text(retry.Body));
        Assert.Equal(1, executions);
    }

    [Fact]
    public async Task ProcessAsync_WhenHandlerMarksTheLeaseFinal_ShouldStoreA400()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var executions = 0;
        Task<HandlerResult> Handle(IdempotencyLease lease, CancellationToken ct)
        {
            Interlocked.Increment(ref executions);
            lease.Retention = ResponseRetention.Final;
            return Task.FromResult(new HandlerResult(400, [], """{"title":"duplicate email"}"""u8.ToArray()));
        }

        await h.Processor.ProcessAsync(Request("k1"), Handle, CancellationToken.None);
        var retry = await h.Processor.ProcessAsync(Request("k1"), Handle, CancellationToken.None);

        Assert.Equal(IdempotencyDisposition.Replayed, retry.Disposition);
        Assert.Equal(400, retry.StatusCode);
        Assert.Equal(1, executions);
    }

    [Fact]
    public async Task ProcessAsync_WhenHandlerThrows_ShouldReleaseTheKeyAndRethrow()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();

        await Assert.ThrowsAsync<TimeoutException>(() => h.Processor.ProcessAsync(Request("k1"), (_, _) => throw new TimeoutException("gateway"), CancellationToken.None));
        var retry = await h.Processor.ProcessAsync(Request("k1"), handler.Handle, CancellationToken.None);

        Assert.Equal(IdempotencyDisposition.Executed, retry.Disposition);
        Assert.Equal(1, handler.Executions);
    }

    [Fact]
    public async Task ProcessAsync_WhenResponseIsTooLargeToStore_ShouldReturnItReleaseTheKeyAndLogAnError()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite, o => o.MaxStoredResponseBytes = 16);
        var handler = new CountingHandler();

        var first = await h.Processor.ProcessAsync(Request("k1"), handler.Handle, CancellationToken.None);
        var retry = await h.Processor.ProcessAsync(Request("k1"), handler.Handle, CancellationToken.None);

        Assert.Equal(201, first.StatusCode);
        Assert.Equal(IdempotencyDisposition.Executed, retry.Disposition);
        Assert.Equal(2, handler.Executions);
        Assert.Contains(h.ProcessorLogger.Collector.GetSnapshot(), e => e.Level == LogLevel.Error && e.Id.Id == 5011);
    }

    [Theory]
    [InlineData(StorageFaultKind.ServiceUnavailable)]
    [InlineData(StorageFaultKind.NetworkError)]
    public async Task ProcessAsync_WhenStoreFailsWhileClaiming_ShouldAnswer503WithoutExecutingAndRecoverOnRetry(StorageFaultKind kind)
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();
        var fault = h.Faults.Add(StorageOperation.TableBatch, kind, StorageFaultTiming.BeforeSending);

        var unavailable = await h.Processor.ProcessAsync(Request("k1"), handler.Handle, CancellationToken.None);
        h.Faults.Remove(fault);
        var retry = await h.Processor.ProcessAsync(Request("k1"), handler.Handle, CancellationToken.None);

        Assert.Equal(503, unavailable.StatusCode);
        Assert.Equal(IdempotencyDisposition.StoreUnavailable, unavailable.Disposition);
        Assert.Equal("2", Header(unavailable, "Retry-After"));
        Assert.Equal(ProblemBase + IdempotencyProblems.StoreUnavailableName, Problem(unavailable).GetProperty("type").GetString());
        Assert.Equal(4, fault.Hits);
        Assert.Equal(IdempotencyDisposition.Executed, retry.Disposition);
        Assert.Equal(1, handler.Executions);
    }

    [Fact]
    public async Task ProcessAsync_WhenStoringTheOutcomeFails_ShouldReturnTheResponseAndNeverExecuteTwiceWithinTheLock()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();
        StorageFaultRule? fault = null;

        // The fault starts once the claim is in: it hits only the completion.
        var first = await h.Processor.ProcessAsync(Request("k1"), (lease, ct) =>
        {
            fault = h.Faults.Add(StorageOperation.TableBatch, StorageFaultKind.ServiceUnavailable, StorageFaultTiming.BeforeSending);
            return handler.Handle(lease, ct);
        }, CancellationToken.None);
        h.Faults.Remove(fault!);
        var retryWithinLock = await h.Processor.ProcessAsync(Request("k1"), handler.Handle, CancellationToken.None);
        h.Time.Advance(TimeSpan.FromSeconds(h.Options.LockSeconds + 1));
        var retryAfterLock = await h.Processor.ProcessAsync(Request("k1"), handler.Handle, CancellationToken.None);
        var replay = await h.Processor.ProcessAsync(Request("k1"), handler.Handle, CancellationToken.None);

        Assert.Equal(201, first.StatusCode);
        Assert.Equal(IdempotencyDisposition.Executed, first.Disposition);
        Assert.Contains(h.ProcessorLogger.Collector.GetSnapshot(), e => e.Level == LogLevel.Error && e.Id.Id == 5009);
        Assert.Equal(409, retryWithinLock.StatusCode);
        // The design's promise: after the lock expires one retry executes again (the handler must be safe to re-run).
        Assert.Equal(IdempotencyDisposition.Executed, retryAfterLock.Disposition);
        Assert.Equal(2, handler.Executions);
        AssertIdenticalReplay(retryAfterLock, replay);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheAnswerToTheCompletionIsLost_ShouldStillReplayWithoutExecutingAgain()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();
        // Added once the claim is in: the completion's answer is the one lost.
        var first = await h.Processor.ProcessAsync(Request("k1"), (lease, ct) =>
        {
            h.Faults.Add(StorageOperation.TableBatch, StorageFaultKind.NetworkError, StorageFaultTiming.AfterSending, times: 1);
            return handler.Handle(lease, ct);
        }, CancellationToken.None);
        var retry = await h.Processor.ProcessAsync(Request("k1"), handler.Handle, CancellationToken.None);

        AssertIdenticalReplay(first, retry);
        Assert.Equal(1, handler.Executions);
    }

    [Fact]
    public async Task ProcessAsync_WhenCounted_ShouldCostAtMostTwoTransactionsForAFirstRequestAndForAReplay()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();

        await h.Processor.ProcessAsync(Request("k1"), handler.Handle, CancellationToken.None);
        var first = h.Counter.Reset();
        await h.Processor.ProcessAsync(Request("k1"), handler.Handle, CancellationToken.None);
        var replay = h.Counter.Reset();

        Assert.Equal(2, first.Total);
        Assert.Equal(2, first[StorageOperation.TableBatch]); // claim and completion, each batched with the expiry entry
        Assert.Equal(2, replay.Total);
        Assert.Equal(1, replay[StorageOperation.TableBatch]); // the claim that failed
        Assert.Equal(1, replay[StorageOperation.EntityRead]);
    }

    [Fact]
    public async Task ProcessAsync_WhenHandlerBatchesTheCompletionWithItsResource_ShouldAddNoTransactionForCompletion()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var executions = 0;
        async Task<HandlerResult> CreateInOneTransaction(IdempotencyLease lease, CancellationToken ct)
        {
            var id = "pay_" + Interlocked.Increment(ref executions);
            var result = IdempotencyHarness.Created(id);
            var resource = new TableEntity(lease.PartitionKey, "payment-" + id) { ["Amount"] = 1999 };
            await lease.SubmitAsync([new TableTransactionAction(TableTransactionActionType.Add, resource)], new StoredResponse(result.StatusCode, result.Headers, result.Body), ct);
            return result;
        }

        var first = await h.Processor.ProcessAsync(Request("k1"), CreateInOneTransaction, CancellationToken.None);
        var counted = h.Counter.Reset();
        var replay = await h.Processor.ProcessAsync(Request("k1"), CreateInOneTransaction, CancellationToken.None);

        // Claim + the handler's own batch (resource and completion together): the completion itself costs nothing extra.
        Assert.Equal(2, counted.Total);
        Assert.Equal(2, counted[StorageOperation.TableBatch]);
        AssertIdenticalReplay(first, replay);
        Assert.Equal(1, executions);
    }

    [Fact]
    public async Task ProcessAsync_WhenLogging_ShouldNeverWriteTheRawKeyAboveDebug()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();
        const string secretishKey = "key-6f1c2e7a-unique-to-this-test";

        await h.Processor.ProcessAsync(Request(secretishKey), handler.Handle, CancellationToken.None);
        await h.Processor.ProcessAsync(Request(secretishKey), handler.Handle, CancellationToken.None);
        await h.Processor.ProcessAsync(Request(secretishKey, """{"other":1}"""), handler.Handle, CancellationToken.None);

        Assert.Contains(h.ProcessorLogger.Collector.GetSnapshot(), e => e.Id.Id == 5003);
        Assert.Contains(h.ProcessorLogger.Collector.GetSnapshot(), e => e.Id.Id == 5004);
        Assert.DoesNotContain(h.ProcessorLogger.Collector.GetSnapshot(), e => e.Message.Contains(secretishKey, StringComparison.Ordinal));
        Assert.DoesNotContain(h.ProcessorLogger.Collector.GetSnapshot(), e => e.Message.Contains(IdempotencyHarness.Subject, StringComparison.Ordinal));
    }

    [Fact]
    public void ShouldStore_WhenClassifyingStatuses_ShouldFollowTheContract()
    {
        static bool Store(int status, ResponseRetention retention = ResponseRetention.Default) =>
            IdempotentRequestProcessor.ShouldStore(new HandlerResult(status, [], ReadOnlyMemory<byte>.Empty) { Retention = retention });

        Assert.True(Store(200));
        Assert.True(Store(201));
        Assert.True(Store(202));
        Assert.True(Store(303));
        Assert.True(Store(404));
        Assert.True(Store(409));
        Assert.True(Store(422));
        Assert.False(Store(400));
        Assert.False(Store(401));
        Assert.False(Store(403));
        Assert.False(Store(408));
        Assert.False(Store(413));
        Assert.False(Store(415));
        Assert.False(Store(429));
        Assert.False(Store(500));
        Assert.False(Store(503, ResponseRetention.Final));
        Assert.True(Store(429, ResponseRetention.Final));
        Assert.False(Store(201, ResponseRetention.Transient));
    }

    [Fact]
    public void IsUnavailable_WhenClassifyingExceptions_ShouldTreatOnlyUnreachableAndServerErrorsAsUnavailable()
    {
        Assert.True(StorageFailures.IsUnavailable(new Azure.RequestFailedException(503, "busy"), CancellationToken.None));
        Assert.True(StorageFailures.IsUnavailable(new Azure.RequestFailedException(0, "reset"), CancellationToken.None));
        Assert.True(StorageFailures.IsUnavailable(
            new AggregateException(new Azure.RequestFailedException(0, "reset"), new HttpRequestException("reset")), CancellationToken.None));
        Assert.True(StorageFailures.IsUnavailable(new TaskCanceledException(), CancellationToken.None));
        Assert.False(StorageFailures.IsUnavailable(new TaskCanceledException(), new CancellationToken(canceled: true)));
        Assert.False(StorageFailures.IsUnavailable(new Azure.RequestFailedException(403, "forbidden"), CancellationToken.None));
        Assert.False(StorageFailures.IsUnavailable(new InvalidOperationException(), CancellationToken.None));
    }
}
