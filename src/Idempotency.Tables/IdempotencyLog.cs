using Microsoft.Extensions.Logging;

namespace Idempotency.Tables;

/// <summary>
/// Log lines of the idempotency layer. Keys and subjects appear only as short hashes (SubjectId, KeyId): enough to
/// correlate, nothing another caller could replay. The raw key is never logged, at any level.
/// </summary>
internal static partial class IdempotencyLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Idempotency key {KeyId} of subject {SubjectId} claimed (execution {Execution}, lock until {LockedUntil})")]
    public static partial void Claimed(this ILogger logger, string keyId, string subjectId, int execution, DateTimeOffset lockedUntil);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Idempotency key {KeyId} of subject {SubjectId} replayed its stored {StatusCode} response")]
    public static partial void Replayed(this ILogger logger, string keyId, string subjectId, int statusCode);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Idempotency key {KeyId} of subject {SubjectId} was reused for a different request; answered 422")]
    public static partial void Mismatch(this ILogger logger, string keyId, string subjectId);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Idempotency key {KeyId} of subject {SubjectId} is in progress until {LockedUntil}; answered 409")]
    public static partial void InProgress(this ILogger logger, string keyId, string subjectId, DateTimeOffset lockedUntil);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Idempotency key {KeyId} of subject {SubjectId} taken over after its lock expired at {LockedUntil} (execution {Execution}): the earlier attempt may have partly run")]
    public static partial void TakenOver(this ILogger logger, string keyId, string subjectId, DateTimeOffset lockedUntil, int execution);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Idempotency key {KeyId} of subject {SubjectId}: lease lost to a takeover before {Action}; this attempt's outcome is not stored")]
    public static partial void LeaseLost(this ILogger logger, string keyId, string subjectId, string action);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "Idempotency key {KeyId} of subject {SubjectId} released after a {StatusCode} outcome that is not stored; a retry executes again")]
    public static partial void Released(this ILogger logger, string keyId, string subjectId, int statusCode);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Error, Message = "Idempotency key {KeyId} of subject {SubjectId}: storing the {StatusCode} outcome failed; the response is returned, and a retry after the lock expires executes again")]
    public static partial void CompletionFailed(this ILogger logger, Exception exception, string keyId, string subjectId, int statusCode);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Error, Message = "Idempotency key {KeyId} of subject {SubjectId}: releasing the key failed; it stays locked until {LockedUntil}")]
    public static partial void ReleaseFailed(this ILogger logger, Exception exception, string keyId, string subjectId, DateTimeOffset lockedUntil);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Error, Message = "Idempotency key {KeyId} of subject {SubjectId}: the {StatusCode} response has {BodyBytes} bytes, over Idempotency:MaxStoredResponseBytes {Limit}; it is not stored and the key is released")]
    public static partial void ResponseTooLarge(this ILogger logger, string keyId, string subjectId, int statusCode, int bodyBytes, int limit);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "Idempotency store unreachable while claiming key {KeyId} of subject {SubjectId}; answered 503 without executing")]
    public static partial void StoreUnavailable(this ILogger logger, Exception exception, string keyId, string subjectId);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Information, Message = "Idempotency key {KeyId} of subject {SubjectId} had expired at {ExpiredAt}; claimed as new")]
    public static partial void ExpiredReplaced(this ILogger logger, string keyId, string subjectId, DateTimeOffset expiredAt);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Information, Message = "Idempotency key {KeyId} of subject {SubjectId}: the handler threw; key released so a retry executes again")]
    public static partial void HandlerFailed(this ILogger logger, string keyId, string subjectId);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Information, Message = "Idempotency key {KeyId} of subject {SubjectId} completed with {StatusCode} (stored by {StoredBy})")]
    public static partial void Completed(this ILogger logger, string keyId, string subjectId, int statusCode, string storedBy);

    [LoggerMessage(EventId = 5016, Level = LogLevel.Information, Message = "Idempotency reaper deleted {Deleted} expired records ({Skipped} changed meanwhile and were kept) out of {Scanned} scanned")]
    public static partial void Reaped(this ILogger logger, int deleted, int skipped, int scanned);

    [LoggerMessage(EventId = 5017, Level = LogLevel.Warning, Message = "Idempotency key {KeyId} of subject {SubjectId}: the transaction committed but its answer was lost; recognized by its attempt id")]
    public static partial void CommittedAnswerLost(this ILogger logger, string keyId, string subjectId);

    [LoggerMessage(EventId = 5018, Level = LogLevel.Warning, Message = "Idempotency key {KeyId} of subject {SubjectId}: storage refused the handler's write ({ErrorCode}); answered 400, nothing written, key released")]
    public static partial void StorageRejected(this ILogger logger, string keyId, string subjectId, string? errorCode);
}
