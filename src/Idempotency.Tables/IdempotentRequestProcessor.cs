using System.Globalization;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Idempotency.Tables;

/// <summary>
/// Runs one request under its Idempotency-Key: validates the key and body size, claims the key, executes the handler
/// at most once per key (per lock period), stores the outcome and answers retries from it. The HTTP adapter extracts
/// an <see cref="IdempotentRequest"/>, passes a delegate that runs the function and captures its response, and writes
/// back the <see cref="IdempotentResponse"/>.
/// </summary>
public sealed class IdempotentRequestProcessor
{
    /// <summary>Bounds the storage calls made after the handler ran, which must not be cut short by the caller leaving.</summary>
    private static readonly TimeSpan AfterHandlerTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan FirstWaitPoll = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan MaxWaitPoll = TimeSpan.FromMilliseconds(500);

    private readonly IdempotencyStores _stores;
    private readonly IdempotencyOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IdempotencyMetrics _metrics;
    private readonly DuplicateWaiters _waiters;

    /// <summary>Creates the processor over the stores of every record table.</summary>
    public IdempotentRequestProcessor(
        IdempotencyStores stores, IOptions<IdempotencyOptions> options, TimeProvider time, ILogger<IdempotentRequestProcessor> logger,
        IdempotencyMetrics? metrics = null)
    {
        _metrics = metrics ?? IdempotencyMetrics.Shared;
        _stores = stores ?? throw new ArgumentNullException(nameof(stores));
        _options = options?.Value ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _waiters = new DuplicateWaiters(_options.MaxWaitersPerCaller);
    }

    /// <summary>This instance's waiting duplicates per caller (for tests).</summary>
    public DuplicateWaiters Waiters => _waiters;

    /// <summary>Runs <paramref name="execute"/> under the request's key, at most once per key (per lock period), and answers retries from the stored outcome.</summary>
    public async Task<IdempotentResponse> ProcessAsync(
        IdempotentRequest request, Func<IdempotencyLease, CancellationToken, Task<HandlerResult>> execute, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(execute);
        ArgumentException.ThrowIfNullOrEmpty(request.Subject, nameof(request));

        if (request.Repeatability is { } repeatability)
        {
            var answer = await ProcessRepeatableAsync(request, repeatability, execute, cancellationToken);
            var accepted = answer.Disposition is IdempotencyDisposition.Executed or IdempotencyDisposition.Replayed;
            return answer with { Headers = [.. answer.Headers, new(RepeatabilityHeaders.ResultHeader, accepted ? "accepted" : "rejected")] };
        }

        if (!IdempotencyKey.TryParse(request.IdempotencyKeyHeader, out var key, out var error))
        {
            var problem = request.IdempotencyKeyHeader is null ? IdempotencyProblems.KeyMissing(_options.ProblemTypeBaseUri) : IdempotencyProblems.KeyInvalid(_options.ProblemTypeBaseUri, error);
            return Problem(request, problem, IdempotencyDisposition.Rejected);
        }

        return await ProcessKeyedAsync(request, key, execute, cancellationToken);
    }

    private async Task<IdempotentResponse> ProcessRepeatableAsync(
        IdempotentRequest request, RepeatabilityHeaders repeatability, Func<IdempotencyLease, CancellationToken, Task<HandlerResult>> execute,
        CancellationToken cancellationToken)
    {
        var typeBase = _options.ProblemTypeBaseUri;
        if (!_options.AcceptRepeatabilityHeaders)
        {
            return Problem(request, RepeatabilityHeaders.NotSupported(typeBase), IdempotencyDisposition.Rejected);
        }

        if (request.IdempotencyKeyHeader is not null)
        {
            return Problem(request, RepeatabilityHeaders.BothFamilies(typeBase), IdempotencyDisposition.Rejected);
        }

        return repeatability.TryGetKey(_time.GetUtcNow(), _options.Retention, typeBase, out var key, out var problem)
            ? await ProcessKeyedAsync(request, key, execute, cancellationToken)
            : Problem(request, problem, IdempotencyDisposition.Rejected);
    }

    private async Task<IdempotentResponse> ProcessKeyedAsync(
        IdempotentRequest request, IdempotencyKey key, Func<IdempotencyLease, CancellationToken, Task<HandlerResult>> execute, CancellationToken cancellationToken)
    {

        if (request.Body.Length > _options.MaxRequestBodyBytes)
        {
            return Problem(request, IdempotencyProblems.BodyTooLarge(_options.ProblemTypeBaseUri, request.Body.Length, _options.MaxRequestBodyBytes), IdempotencyDisposition.Rejected);
        }

        var fingerprint = RequestFingerprint.Compute(request.Method, request.Path, request.ContentType, request.Body.Span);
        var store = _stores.Get(request.Table);
        var recordKey = IdempotencyRecordKey.For(request.Subject, key);
        var subjectId = IdempotencyRecordKey.SubjectLogId(request.Subject);

        if (request.Mode == IdempotencyMode.Claimless)
        {
            return await ExecuteAsync(request, store.BeginClaimless(request.Subject, key, fingerprint), store, execute, recordKey.LogId, subjectId, cancellationToken);
        }

        ClaimOutcome outcome;
        try
        {
            outcome = await ClaimOrWaitAsync(store, request.Subject, key, fingerprint, cancellationToken);
        }
        catch (Exception ex) when (StorageFailures.IsUnavailable(ex, cancellationToken))
        {
            _logger.StoreUnavailable(ex, recordKey.LogId, subjectId);
            return Problem(request, IdempotencyProblems.StoreUnavailable(_options.ProblemTypeBaseUri), IdempotencyDisposition.StoreUnavailable);
        }

        return outcome is ClaimOutcome.Claimed claimed
            ? await ExecuteAsync(request, claimed.Lease, store, execute, recordKey.LogId, subjectId, cancellationToken)
            : Answer(request, outcome, recordKey.LogId, subjectId);
    }

    /// <summary>
    /// Whether a handler's response is stored for replays: 2xx, 3xx and deliberate 4xx outcomes are. Not stored:
    /// failures that mean "nothing was executed" (400, 401, 403, 413, 415), transient ones (408, 429, every 5xx),
    /// unless the handler marks a 4xx <see cref="ResponseRetention.Final"/>. A 5xx is never stored.
    /// </summary>
    public static bool ShouldStore(HandlerResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var status = result.StatusCode;
        if (status is < 200 or >= 500 || result.Retention == ResponseRetention.Transient)
        {
            return false;
        }

        return result.Retention == ResponseRetention.Final || status < 400 || status is not (400 or 401 or 403 or 408 or 413 or 415 or 429);
    }

    private async Task<ClaimOutcome> ClaimOrWaitAsync(
        IdempotencyStore store, string subject, IdempotencyKey key, RequestFingerprint fingerprint, CancellationToken cancellationToken)
    {
        var outcome = await store.ClaimAsync(subject, key, fingerprint, cancellationToken);
        if (outcome is not ClaimOutcome.InProgress || _options.WaitForInFlightMs <= 0 || !_waiters.TryEnter(subject))
        {
            return outcome;
        }

        try
        {
            return await WaitForOutcomeAsync(store, subject, key, fingerprint, outcome, cancellationToken);
        }
        finally
        {
            _waiters.Exit(subject);
        }
    }

    private async Task<ClaimOutcome> WaitForOutcomeAsync(
        IdempotencyStore store, string subject, IdempotencyKey key, RequestFingerprint fingerprint, ClaimOutcome outcome, CancellationToken cancellationToken)
    {
        // Wait for the first attempt's outcome, re-claiming with backoff: a replay, or a claim if it gave the key up.
        var budget = TimeSpan.FromMilliseconds(_options.WaitForInFlightMs);
        var started = _time.GetTimestamp();
        var poll = FirstWaitPoll;
        while (outcome is ClaimOutcome.InProgress)
        {
            var left = budget - _time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            await Task.Delay(poll < left ? poll : left, _time, cancellationToken);
            poll = poll * 2 < MaxWaitPoll ? poll * 2 : MaxWaitPoll;
            outcome = await store.ClaimAsync(subject, key, fingerprint, cancellationToken);
        }

        return outcome;
    }

    /// <summary>What the key answers when this attempt does not execute (or its transaction found the key owned by another).</summary>
    private IdempotentResponse Answer(IdempotentRequest request, ClaimOutcome outcome, string keyId, string subjectId)
    {
        switch (outcome)
        {
            case ClaimOutcome.Replay replay:
                _logger.Replayed(keyId, subjectId, replay.Response.StatusCode);
                _metrics.Record(IdempotencyOutcome.Replayed);
                return new IdempotentResponse(
                    replay.Response.StatusCode,
                    [.. replay.Response.Headers, new(IdempotentResponse.ReplayedHeader, "true")],
                    replay.Response.Body,
                    IdempotencyDisposition.Replayed);
            case ClaimOutcome.Mismatch:
                _logger.Mismatch(keyId, subjectId);
                _metrics.Record(IdempotencyOutcome.Mismatch);
                return Problem(request, IdempotencyProblems.KeyReused(_options.ProblemTypeBaseUri), IdempotencyDisposition.Mismatch);
            case ClaimOutcome.InProgress inProgress:
                _logger.InProgress(keyId, subjectId, inProgress.LockedUntil);
                _metrics.Record(IdempotencyOutcome.InProgress);
                return Problem(request, IdempotencyProblems.InProgress(_options.ProblemTypeBaseUri, inProgress.RetryAfter, inProgress.LockedUntil), IdempotencyDisposition.InProgress);
            default:
                throw new InvalidOperationException($"Unexpected claim outcome {outcome.GetType().Name}.");
        }
    }

    private async Task<IdempotentResponse> ExecuteAsync(
        IdempotentRequest request, IdempotencyLease lease, IdempotencyStore store, Func<IdempotencyLease, CancellationToken, Task<HandlerResult>> execute,
        string keyId, string subjectId, CancellationToken cancellationToken)
    {
        HandlerResult result;
        try
        {
            result = await execute(lease, cancellationToken);
        }
        catch (RequestFailedException ex) when (StorageFailures.IsRefusedAsInvalid(ex, out _) && lease.State == IdempotencyLeaseState.Active)
        {
            // Storage refused the handler's write as invalid (an entity or property over its limit): nothing was written,
            // and sending it again cannot succeed. A precise 4xx, not a 500; the key is released for a corrected request.
            _logger.StorageRejected(keyId, subjectId, ex.ErrorCode);
            await ReleaseQuietlyAsync(lease, keyId, subjectId, statusCode: null);
            return Problem(request, IdempotencyProblems.NotStorable(_options.ProblemTypeBaseUri, ex.ErrorCode), IdempotencyDisposition.Rejected);
        }
        catch
        {
            // Whatever the handler did not finish, a retry must be able to do: give the key up and let the host answer 500.
            if (lease.State == IdempotencyLeaseState.Active)
            {
                _logger.HandlerFailed(keyId, subjectId);
                await ReleaseQuietlyAsync(lease, keyId, subjectId, statusCode: null);
            }

            throw;
        }

        ArgumentNullException.ThrowIfNull(result);
        if (lease.State == IdempotencyLeaseState.Answered)
        {
            // The handler's transaction found the key owned by another attempt: that attempt's answer is the key's.
            return Answer(request, lease.Answer!, keyId, subjectId);
        }

        if (result.Retention == ResponseRetention.Default)
        {
            result = result with { Retention = lease.Retention };
        }

        var executed = new IdempotentResponse(result.StatusCode, result.Headers, result.Body, IdempotencyDisposition.Executed);
        if (lease.State == IdempotencyLeaseState.CompletedByHandler)
        {
            _logger.Completed(keyId, subjectId, result.StatusCode, "handler transaction");
            return Executed(executed);
        }

        if (lease.State != IdempotencyLeaseState.Active)
        {
            return Executed(executed); // the handler completed or released the lease itself
        }

        if (!ShouldStore(result))
        {
            await ReleaseQuietlyAsync(lease, keyId, subjectId, result.StatusCode);
            return executed;
        }

        var response = new StoredResponse(result.StatusCode, result.Headers, result.Body);
        if (!store.IsStorable(response))
        {
            // A create endpoint answering more than the limit is a bug; keeping the key locked would not make a retry safer.
            _logger.ResponseTooLarge(keyId, subjectId, result.StatusCode, result.Body.Length, _options.MaxStoredResponseBytes);
            await ReleaseQuietlyAsync(lease, keyId, subjectId, result.StatusCode);
            return executed;
        }

        using var afterHandler = new CancellationTokenSource(AfterHandlerTimeout);
        try
        {
            // Not the caller's token: the effect happened, so its outcome is stored even if the caller has gone.
            if (lease.Mode == IdempotencyMode.Claimless)
            {
                // No transaction of the handler's carried the record: store the outcome alone, under the same rule.
                if (await lease.SubmitAsync([], response, afterHandler.Token) == BatchCommit.Answered)
                {
                    return Answer(request, lease.Answer!, keyId, subjectId);
                }

                _logger.Completed(keyId, subjectId, result.StatusCode, "orchestrator");
            }
            else if (await lease.CompleteAsync(response, afterHandler.Token) == LeaseCompletion.LeaseLost)
            {
                // The one rule for a lost lease: the taker owns the key's outcome, so this attempt answers 409 in
                // progress (not stored) and a retry gets the taker's outcome, never a second, different one.
                _logger.LeaseLost(keyId, subjectId, "completion");
                return Answer(request, new ClaimOutcome.InProgress(IdempotencyStore.InProgressRetryAfter, _time.GetUtcNow() + IdempotencyStore.InProgressRetryAfter), keyId, subjectId);
            }
            else
            {
                _logger.Completed(keyId, subjectId, result.StatusCode, "orchestrator");
            }
        }
        catch (Exception ex) when (StorageFailures.IsUnavailable(ex, afterHandler.Token) || ex is RequestFailedException || ex is OperationCanceledException)
        {
            // The record stays in progress; after the lock expires one retry takes over and executes again.
            _logger.CompletionFailed(ex, keyId, subjectId, result.StatusCode);
        }

        return Executed(executed);
    }

    private IdempotentResponse Executed(IdempotentResponse executed)
    {
        _metrics.Record(IdempotencyOutcome.Executed);
        return executed;
    }

    private async Task ReleaseQuietlyAsync(IdempotencyLease lease, string keyId, string subjectId, int? statusCode)
    {
        using var afterHandler = new CancellationTokenSource(AfterHandlerTimeout);
        try
        {
            if (await lease.ReleaseAsync(afterHandler.Token) == LeaseRelease.LeaseLost)
            {
                _logger.LeaseLost(keyId, subjectId, "release");
                return;
            }

            _metrics.Record(IdempotencyOutcome.Released);
            if (statusCode is int status)
            {
                _logger.Released(keyId, subjectId, status);
            }
        }
        catch (Exception ex) when (StorageFailures.IsUnavailable(ex, afterHandler.Token) || ex is RequestFailedException || ex is OperationCanceledException)
        {
            _logger.ReleaseFailed(ex, keyId, subjectId, lease.LockedUntil);
        }
    }

    private static IdempotentResponse Problem(IdempotentRequest request, ProblemDetails problem, IdempotencyDisposition disposition) =>
        new(problem.Status, problem.Headers(), problem.ToJson(request.Path, request.TraceId), disposition) { Problem = problem };
}
