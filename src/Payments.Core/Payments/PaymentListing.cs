using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Idempotency.Tables;
using Payments.Core.Storage;

namespace Payments.Core.Payments;

public sealed record PaymentPage(IReadOnlyList<Payment> Payments, string? NextCursor);

/// <summary>
/// Lists one merchant's payments, newest first, from the listing index (<see cref="PaymentIndex"/>): one RowKey range
/// query per shard of the merchant (16, each <c>$top = limit + 1</c>, run together), merged by position. A page reads
/// at most 16 partitions and 16 × (limit + 1) entities, whatever the size of the table and whatever other merchants
/// store in the same partitions; a status filter reads that status's view, never the merchant's whole history.
/// </summary>
public sealed class PaymentListing(PaymentRepository payments)
{
    public const int MaxLimit = 100;

    public async Task<PaymentPage> ListAsync(string merchantId, PaymentStatus? status, int limit, PaymentCursor? after, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);
        var view = status is { } wanted ? PaymentIndex.ViewOf(wanted) : PaymentIndex.AllView;
        var start = PaymentIndex.ViewStart(merchantId, view);
        var from = after is { } cursor ? start + PaymentIndex.Position(cursor.CreatedAt, cursor.PaymentId) : null;
        var end = PaymentIndex.ViewEnd(merchantId, view);

        var shards = await Task.WhenAll(SubjectPartitions.All(merchantId).Select(partition =>
            ReadShardAsync(partition, from ?? start, inclusive: from is null, end, limit + 1, cancellationToken)));

        // A shard that has more than it returned only vouches for positions up to its last row: the page stops there.
        string? bound = null;
        foreach (var shard in shards.Where(s => s.HasMore))
        {
            var last = shard.Rows[^1].RowKey;
            bound = bound is null || string.CompareOrdinal(last, bound) < 0 ? last : bound;
        }

        var merged = shards.SelectMany(s => s.Rows)
            .Where(row => bound is null || string.CompareOrdinal(row.RowKey, bound) <= 0)
            .OrderBy(row => row.RowKey, StringComparer.Ordinal)
            .ToList();
        var rows = merged.Take(limit).ToList();
        var more = merged.Count > limit || bound is not null;
        var next = more && rows.Count > 0 ? PaymentIndex.CursorAfter(rows[^1]).Encode() : null;
        return new PaymentPage([.. rows.Select(PaymentIndex.FromEntry)], next);
    }

    /// <summary>
    /// One request for the shard's next rows. Table Storage may answer fewer rows than asked with a continuation
    /// token (a time or size limit); only an answer with no rows at all is followed, so the page can always move on.
    /// </summary>
    private async Task<ShardRows> ReadShardAsync(
        string partition, string from, bool inclusive, string end, int take, CancellationToken cancellationToken)
    {
        var filter = inclusive
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {from} and RowKey lt {end}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {from} and RowKey lt {end}");
        string? continuation = null;
        do
        {
            await foreach (var page in payments.Table.QueryAsync<TableEntity>(filter, maxPerPage: take, cancellationToken: cancellationToken)
                               .AsPages(continuation, take).WithCancellation(cancellationToken))
            {
                continuation = page.ContinuationToken;
                if (page.Values.Count > 0 || continuation is null)
                {
                    return new ShardRows([.. page.Values], continuation is not null && page.Values.Count > 0);
                }

                break;
            }
        }
        while (continuation is not null);

        return new ShardRows([], false);
    }

    private sealed record ShardRows(IReadOnlyList<TableEntity> Rows, bool HasMore);
}

/// <summary>Where a page ended: newest-first order is (CreatedAt desc, Id asc), the index's position order.</summary>
public readonly record struct PaymentCursor(DateTimeOffset CreatedAt, string PaymentId)
{
    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(
        CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture) + "|" + PaymentId)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    // A cursor's time is a payment's creation time: anything outside [2000, 2100) was made up, not issued by this API.
    private static readonly long EarliestTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
    private static readonly long LatestTicks = new DateTime(2100, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    public static bool TryDecode(string? text, out PaymentCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(text) || text.Length > 128)
        {
            return false;
        }

        try
        {
            var base64 = text.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split('|');
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks >= EarliestTicks && ticks < LatestTicks && Payments.PaymentId.TryParse(parts[1], out _))
            {
                cursor = new PaymentCursor(new DateTimeOffset(ticks, TimeSpan.Zero), parts[1]);
                return true;
            }
        }
        catch (FormatException)
        {
        }

        return false;
    }
}
