using System.Net.Sockets;
using Azure;

namespace Idempotency.Tables;

/// <summary>
/// How a storage call failed, by status and error code (never by message text): the one classifier the idempotency
/// layer and an app's error mapping share, so a failure is "retry later" or "refused" in the same way everywhere.
/// </summary>
public static class StorageFailures
{
    /// <summary>
    /// Storage could not be reached or did not answer usefully (no answer, 408, 429, any 5xx, a broken connection, a
    /// network timeout): nothing is known to be wrong with the request, and a retry later may succeed.
    /// </summary>
    /// <param name="exception">What the storage call threw.</param>
    /// <param name="cancellationToken">The caller's token: a cancellation it asked for is not a storage failure.</param>
    public static bool IsUnavailable(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        RequestFailedException failed => failed.Status is 0 or 408 or 429 or >= 500,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => IsUnavailable(e, cancellationToken)),
        HttpRequestException or IOException or TimeoutException or SocketException => true,
        // The SDK's network timeout surfaces as a cancellation nobody asked for.
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => exception.InnerException is { } inner && IsUnavailable(inner, cancellationToken),
    };

    /// <summary>Storage refused a write as invalid (400: an entity or property over its limit): sending it again cannot succeed.</summary>
    /// <param name="exception">What the storage call threw.</param>
    /// <param name="errorCode">The service's error code, such as PropertyValueTooLarge, when it gave one.</param>
    public static bool IsRefusedAsInvalid(Exception exception, out string? errorCode)
    {
        errorCode = (exception as RequestFailedException)?.ErrorCode;
        return exception is RequestFailedException { Status: 400 };
    }
}
