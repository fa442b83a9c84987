using System.ComponentModel.DataAnnotations;

namespace Idempotency.Tables;

/// <summary>Settings of section "Idempotency"; validated when the host starts.</summary>
public sealed class IdempotencyOptions : IValidatableObject
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Idempotency";

    /// <summary>One stored entity holds at most 1 MiB; the body gets at most this much of it (12 binary chunks of 64 KiB).</summary>
    public const int MaxStorableResponseBytes = 12 * StoredResponse.ChunkBytes;

    /// <summary>How long a claim stays exclusive. A crashed attempt blocks its key this long, then one retry takes over.</summary>
    [Range(1, 3600, ErrorMessage = "Idempotency:LockSeconds must be between 1 and 3600: long enough for the slowest handler to finish, short enough that a retry after a crash is not kept waiting.")]
    public int LockSeconds { get; set; } = 30;

    /// <summary>How long a completed outcome is replayed; after that the key counts as new.</summary>
    [Range(1, 24 * 30, ErrorMessage = "Idempotency:RetentionHours must be between 1 and 720 (30 days).")]
    public int RetentionHours { get; set; } = 24;

    /// <summary>When above 0, a duplicate that arrives while the first attempt runs waits this long for its outcome instead of getting 409.</summary>
    [Range(0, 60_000, ErrorMessage = "Idempotency:WaitForInFlightMs must be between 0 (answer 409 at once) and 60000.")]
    public int WaitForInFlightMs { get; set; }

    /// <summary>
    /// With <see cref="WaitForInFlightMs"/> above 0: how many duplicates one caller may have waiting at once on one
    /// instance; beyond that a duplicate is answered 409 in progress at once (with Retry-After), as with no waiting.
    /// </summary>
    [Range(1, 100, ErrorMessage = "Idempotency:MaxWaitersPerCaller must be between 1 and 100.")]
    public int MaxWaitersPerCaller { get; set; } = 4;

    /// <summary>Requests with a larger body are refused with 413 before the key is claimed.</summary>
    [Range(1, 16 * 1024 * 1024, ErrorMessage = "Idempotency:MaxRequestBodyBytes must be between 1 and 16777216.")]
    public int MaxRequestBodyBytes { get; set; } = 65536;

    /// <summary>Responses with a larger body are not stored: the key is released and an error is logged.</summary>
    [Range(0, MaxStorableResponseBytes, ErrorMessage = "Idempotency:MaxStoredResponseBytes must be between 0 and 786432 (a stored record must fit one 1 MiB entity).")]
    public int MaxStoredResponseBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Accept the Azure REST API guidelines' repeatable requests (<c>Repeatability-Request-ID</c> and
    /// <c>Repeatability-First-Sent</c>) beside <c>Idempotency-Key</c>; the tracked window is <see cref="RetentionHours"/>.
    /// Off: a request carrying them is answered 501, as the guidelines ask of an operation that does not support them.
    /// </summary>
    public bool AcceptRepeatabilityHeaders { get; set; } = true;

    /// <summary>How many expired records one reaper run deletes at most.</summary>
    [Range(1, 100_000, ErrorMessage = "Idempotency:ReaperBatchSize must be between 1 and 100000.")]
    public int ReaperBatchSize { get; set; } = 1000;

    /// <summary>
    /// What the type URI of every problem this layer answers starts with; the problem's name follows
    /// (<c>idempotency-key-missing</c>, <c>idempotency-key-reused</c>...). Point it at the page that documents your
    /// problems; the default is a reference relative to the API's own origin.
    /// </summary>
    [Required(ErrorMessage = "Idempotency:ProblemTypeBaseUri must be set: the URI that problem type names are appended to, such as https://example.com/problems/.")]
    public string ProblemTypeBaseUri { get; set; } = "/problems/";

    /// <summary><see cref="LockSeconds"/> as a duration.</summary>
    public TimeSpan Lock => TimeSpan.FromSeconds(LockSeconds);

    /// <summary><see cref="RetentionHours"/> as a duration.</summary>
    public TimeSpan Retention => TimeSpan.FromHours(RetentionHours);

    /// <summary>The rules that span settings: the wait within the lock, the lock within the retention, a well-formed problem type base.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TimeSpan.FromMilliseconds(WaitForInFlightMs) > Lock)
        {
            yield return new ValidationResult(
                "Idempotency:WaitForInFlightMs must not exceed Idempotency:LockSeconds: a duplicate would otherwise wait longer than the lock it waits on.",
                [nameof(WaitForInFlightMs), nameof(LockSeconds)]);
        }

        if (!Uri.IsWellFormedUriString(ProblemTypeBaseUri, UriKind.RelativeOrAbsolute))
        {
            yield return new ValidationResult(
                $"Idempotency:ProblemTypeBaseUri '{ProblemTypeBaseUri}' is not a URI; set an absolute URI such as https://example.com/problems/ or a path such as /problems/.",
                [nameof(ProblemTypeBaseUri)]);
        }

        if (Lock >= Retention)
        {
            yield return new ValidationResult(
                "Idempotency:LockSeconds must be shorter than Idempotency:RetentionHours.", [nameof(LockSeconds), nameof(RetentionHours)]);
        }
    }
}
