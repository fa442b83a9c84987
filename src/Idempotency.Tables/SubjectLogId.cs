
namespace Idempotency.Tables;

/// <summary>
/// The one way a caller's subject appears in logs: a short SHA-256 prefix. Enough to follow one caller across lines,
/// and the subject (personal data for many issuers) is never written.
/// </summary>
public static class SubjectLogId
{
    /// <summary>The log id of <paramref name="subject"/>: 16 hex digits of its SHA-256.</summary>
    public static string Of(string subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        return StableHash.Hex(subject)[..16];
    }
}
