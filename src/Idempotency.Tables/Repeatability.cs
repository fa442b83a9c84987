using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Idempotency.Tables;

/// <summary>
/// The repeatable-requests family of the Azure REST API guidelines (OASIS Repeatable Requests 1.0):
/// <c>Repeatability-Request-ID</c> names the request, <c>Repeatability-First-Sent</c> says when it was first sent, and the
/// answer carries <c>Repeatability-Result: accepted</c> (executed, or the first outcome replayed) or <c>rejected</c>.
/// A request id is a key of its own family: it never meets an <c>Idempotency-Key</c> of the same text.
/// </summary>
/// <param name="RequestId">The raw <c>Repeatability-Request-ID</c> value, or null when absent.</param>
/// <param name="FirstSent">The raw <c>Repeatability-First-Sent</c> value, or null when absent.</param>
public sealed record RepeatabilityHeaders(string? RequestId, string? FirstSent)
{
    /// <summary>The request id header.</summary>
    public const string RequestIdHeader = "Repeatability-Request-ID";

    /// <summary>The first-sent header (an IMF-fixdate, such as <c>Tue, 01 Dec 2026 16:06:51 GMT</c>).</summary>
    public const string FirstSentHeader = "Repeatability-First-Sent";

    /// <summary>The answer's header.</summary>
    public const string ResultHeader = "Repeatability-Result";

    /// <summary>The longest request id: room for the family's prefix inside a key.</summary>
    public const int MaxRequestIdLength = 200;

    /// <summary>How far in the future a first-sent time may lie (client clocks drift).</summary>
    public static readonly TimeSpan AllowedClockSkew = TimeSpan.FromMinutes(5);

    // A space cannot occur in an Idempotency-Key, so no key of that family can equal one of these.
    private const string KeyPrefix = "Repeatability-Request-ID ";

    /// <summary>Null when the request carries neither header.</summary>
    public static RepeatabilityHeaders? From(string? requestId, string? firstSent) =>
        requestId is null && firstSent is null ? null : new(requestId, firstSent);

    /// <summary>
    /// Validates both headers against <paramref name="now"/> and the tracked window (the records' retention). False gives
    /// the problem to answer: 400 for a missing or malformed header, 412 for a first-sent time outside the window.
    /// </summary>
    internal bool TryGetKey(DateTimeOffset now, TimeSpan trackedWindow, string typeBase,
        [NotNullWhen(true)] out IdempotencyKey? key, [NotNullWhen(false)] out ProblemDetails? problem)
    {
        key = null;
        if (RequestId is null || FirstSent is null)
        {
            problem = Invalid(typeBase, $"A repeatable request carries both {RequestIdHeader} and {FirstSentHeader}; this one has only " +
                $"{(RequestId is null ? FirstSentHeader : RequestIdHeader)}. Send both, the same on every retry.");
            return false;
        }

        var id = RequestId.Trim(' ', '\t');
        if (id.Length is 0 or > MaxRequestIdLength || id.Any(c => c is < '!' or > '~'))
        {
            problem = Invalid(typeBase, string.Create(CultureInfo.InvariantCulture,
                $"{RequestIdHeader} must be 1 to {MaxRequestIdLength} visible ASCII characters without spaces; a random UUID such as " +
                $"8e03978e-40d5-43e8-bc93-6894a57f9324 is a good one."));
            return false;
        }

        if (!DateTimeOffset.TryParseExact(FirstSent.Trim(' ', '\t'), "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var firstSent))
        {
            problem = Invalid(typeBase, $"{FirstSentHeader} must be an IMF-fixdate (RFC 9110), such as 'Tue, 01 Dec 2026 16:06:51 GMT': " +
                "the time the request was first sent, the same on every retry.");
            return false;
        }

        if (firstSent > now + AllowedClockSkew)
        {
            problem = Invalid(typeBase, string.Create(CultureInfo.InvariantCulture,
                $"{FirstSentHeader} lies in the future ({firstSent:r}; the server's time is {now:r}). Send the time the request was first sent, from a synchronized clock."));
            return false;
        }

        if (firstSent < now - trackedWindow)
        {
            problem = new(typeBase + ExpiredName, "Repeatable request outside the tracked window", 412, string.Create(CultureInfo.InvariantCulture,
                $"This request was first sent at {firstSent:r}, longer ago than the {trackedWindow.TotalHours:0.##} h this service tracks repeatable " +
                $"requests, so it cannot tell whether it already ran. Check the outcome (for example by listing what you created) before sending it " +
                $"again as a new request with a new id."));
            return false;
        }

        key = IdempotencyKey.OfFamily(KeyPrefix + id);
        problem = null;
        return true;
    }

    /// <summary>Problem type name for malformed repeatability headers (400).</summary>
    public const string InvalidName = "repeatability-headers-invalid";

    /// <summary>Problem type name for a first-sent time outside the tracked window (412).</summary>
    public const string ExpiredName = "repeatability-window-passed";

    /// <summary>Problem type name for a request carrying both key families (400).</summary>
    public const string BothFamiliesName = "idempotency-headers-conflict";

    /// <summary>Problem type name for repeatability headers where they are switched off (501).</summary>
    public const string NotSupportedName = "repeatability-not-supported";

    internal static ProblemDetails BothFamilies(string typeBase) =>
        new(typeBase + BothFamiliesName, "Two idempotency header families", 400,
            $"Send either {IdempotencyKey.HeaderName} or {RequestIdHeader} with {FirstSentHeader}, not both: each names the request on its own, " +
            "and two names could disagree.");

    internal static ProblemDetails NotSupported(string typeBase) =>
        new(typeBase + NotSupportedName, "Repeatable requests not supported", 501,
            $"This service does not accept {RequestIdHeader} and {FirstSentHeader}; send an {IdempotencyKey.HeaderName} instead.");

    private static ProblemDetails Invalid(string typeBase, string detail) =>
        new(typeBase + InvalidName, "Invalid repeatability headers", 400, detail);
}
