using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Idempotency.Tables;
using Payments.Core.Telemetry;
using Payments.Core.Storage;

namespace Payments.Core.Payments;

/// <summary>
/// The listing index: beside each payment, in its partition (one of the merchant's 16 shards), a copy under
/// <c>lst-{merchant tag}-all-{position}</c> and one under <c>lst-{merchant tag}-{status}-{position}</c>, where the
/// position is inverted creation ticks and the id, so a RowKey range reads one merchant's payments of one view newest
/// first and nothing else. The copies are written in the payment's own entity group transactions: created with it,
/// and on every status move the "all" copy is replaced and the status copy moves, conditional on the payment's ETag,
/// so the index can never disagree with the payment.
/// </summary>
public static class PaymentIndex
{
    public const string KindValue = "payment-index";
    public const string AllView = "all";
    public const string DueKindValue = "payment-due";
    private const string RowKeyPrefix = "lst-";
    private const string DuePrefix = "due-";
    private const string PaymentIdProperty = "PaymentId";
    private const int PositionTicksLength = 19;

    /// <summary>The documented status names, as the API writes and the status filter accepts them.</summary>
    public static string ViewOf(PaymentStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>Where the row keys of one merchant's view begin; the view's rows all sort below <see cref="ViewEnd"/>.</summary>
    public static string ViewStart(string merchantId, string view) => $"{RowKeyPrefix}{SubjectPartitions.Tag(merchantId)}-{view}-";

    /// <summary>'.' sorts right after '-': the first row key past the view.</summary>
    public static string ViewEnd(string merchantId, string view) => ViewStart(merchantId, view)[..^1] + ".";

    /// <summary>Newest first: inverted creation ticks, then the id (ties broken the same way every time).</summary>
    public static string Position(DateTimeOffset createdAt, string paymentId) =>
        (DateTimeOffset.MaxValue.UtcTicks - createdAt.UtcTicks).ToString("D" + PositionTicksLength, CultureInfo.InvariantCulture) + "-" + paymentId;

    /// <summary>The payment and its two index copies: the insert half of the accept batch.</summary>
    public static IEnumerable<TableTransactionAction> Insert(Payment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        yield return new(TableTransactionActionType.Add, PaymentEntity.ToEntity(payment));
        yield return new(TableTransactionActionType.Add, Entry(payment, AllView));
        yield return new(TableTransactionActionType.Add, Entry(payment, ViewOf(payment.Status)));
        if (payment.Status == PaymentStatus.Pending)
        {
            yield return new(TableTransactionActionType.Add, DueEntry(payment));
        }
    }

    /// <summary>
    /// A status move as one batch: the payment replaced on the ETag it was read with (the condition of the whole
    /// batch), the "all" copy replaced, the old status copy deleted and the new one added.
    /// </summary>
    public static IEnumerable<TableTransactionAction> Move(Payment from, Payment to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        yield return new(TableTransactionActionType.UpdateReplace, PaymentEntity.ToEntity(to), from.ETag);
        yield return new(TableTransactionActionType.UpdateReplace, Entry(to, AllView), ETag.All);
        if (from.Status != to.Status)
        {
            yield return new(TableTransactionActionType.Delete, Entry(from, ViewOf(from.Status)), ETag.All);
            yield return new(TableTransactionActionType.Add, Entry(to, ViewOf(to.Status)));
        }

        if (from.Status == PaymentStatus.Pending && to.Status != PaymentStatus.Pending)
        {
            // Leaving pending ends the outbox's watch: completed payments are never among the completer's candidates.
            yield return new(TableTransactionActionType.Delete, DueEntry(from), ETag.All);
        }
    }

    /// <summary>
    /// The outbox completer's candidates in one partition: due entries of payments last enqueued at or before
    /// <paramref name="cutoff"/> (to the second), oldest first.
    /// </summary>
    public static string DueFilter(string partitionKey, DateTimeOffset cutoff) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {DuePrefix} and RowKey lt {DueRowKeyPrefix(cutoff)[..^1] + "."}");

    /// <summary>
    /// Re-arms a stranded payment's due entry at <paramref name="enqueuedAt"/>, conditional on the due entry read:
    /// if the processor moved the payment (and so deleted the entry) or another completer re-armed it first, the whole
    /// batch fails and nothing is enqueued twice by completers.
    /// </summary>
    public static IEnumerable<TableTransactionAction> Rearm(TableEntity due, DateTimeOffset enqueuedAt)
    {
        ArgumentNullException.ThrowIfNull(due);
        var paymentId = PaymentIdOf(due);
        var rearmed = DueEntry(due.PartitionKey, paymentId, enqueuedAt, PaymentEntity.TraceContextOf(due));
        if (string.Equals(rearmed.RowKey, due.RowKey, StringComparison.Ordinal))
        {
            // Re-armed within the second it was armed: the key stays, and replacing it on its ETag still claims the candidate.
            yield return new(TableTransactionActionType.UpdateReplace, rearmed, due.ETag);
        }
        else
        {
            yield return new(TableTransactionActionType.Delete, new TableEntity(due.PartitionKey, due.RowKey), due.ETag);
            yield return new(TableTransactionActionType.Add, rearmed);
        }

        yield return new(TableTransactionActionType.UpdateMerge, new TableEntity(due.PartitionKey, paymentId) { [PaymentEntity.Properties.EnqueuedAt] = enqueuedAt }, ETag.All);
    }

    public static string PaymentIdOf(TableEntity due)
    {
        ArgumentNullException.ThrowIfNull(due);
        return due.GetString(PaymentIdProperty) ?? throw new InvalidDataException($"Due entry {due.RowKey} names no payment.");
    }

    // Whole seconds: the key is derived again from the stored EnqueuedAt, which the store may keep at a coarser precision.
    private static string DueRowKeyPrefix(DateTimeOffset enqueuedAt) =>
        DuePrefix + enqueuedAt.ToUnixTimeSeconds().ToString("D11", CultureInfo.InvariantCulture) + "-";

    // The due entry carries the payment's trace context, so the completer re-enqueues into the accepting trace without
    // reading the payment.
    private static TableEntity DueEntry(Payment payment) =>
        DueEntry(payment.Id.PartitionKey, payment.Id.Value, payment.EnqueuedAt, payment.TraceContext);

    private static TableEntity DueEntry(string partitionKey, string paymentId, DateTimeOffset enqueuedAt, PaymentTraceContext? traceContext) =>
        new(partitionKey, DueRowKeyPrefix(enqueuedAt) + paymentId)
        {
            [PaymentEntity.Properties.Kind] = DueKindValue,
            [PaymentIdProperty] = paymentId,
            [PaymentEntity.Properties.TraceParent] = traceContext?.TraceParent,
            [PaymentEntity.Properties.TraceState] = traceContext?.TraceState,
        };

    /// <summary>
    /// The cursor after an index row, read from its row key rather than from the stored time (which the store may keep
    /// at a coarser precision than the ticks the position was made of).
    /// </summary>
    public static PaymentCursor CursorAfter(TableEntity entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var id = entry.GetString(PaymentIdProperty) ?? throw new InvalidDataException($"Index entry {entry.RowKey} names no payment.");
        var position = entry.RowKey[^(PositionTicksLength + 1 + id.Length)..];
        var inverted = long.Parse(position.AsSpan(0, PositionTicksLength), NumberStyles.None, CultureInfo.InvariantCulture);
        return new PaymentCursor(new DateTimeOffset(DateTimeOffset.MaxValue.UtcTicks - inverted, TimeSpan.Zero), id);
    }

    public static Payment FromEntry(TableEntity entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var payment = new TableEntity(entry) { RowKey = entry.GetString(PaymentIdProperty) ?? throw new InvalidDataException($"Index entry {entry.RowKey} names no payment.") };
        return PaymentEntity.FromEntity(payment) with { ETag = default };
    }

    private static TableEntity Entry(Payment payment, string view)
    {
        var entry = PaymentEntity.ToEntity(payment);
        entry.RowKey = ViewStart(payment.MerchantId, view) + Position(payment.CreatedAt, payment.Id.Value);
        entry[PaymentEntity.Properties.Kind] = KindValue;
        entry[PaymentIdProperty] = payment.Id.Value;

        // A listing copy needs no trace: it is read for pages, never for work.
        entry.Remove(PaymentEntity.Properties.TraceParent);
        entry.Remove(PaymentEntity.Properties.TraceState);
        entry.ETag = default;
        return entry;
    }
}
