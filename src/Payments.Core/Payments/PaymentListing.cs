using System.Globalization;
using System.Text;
using Azure.Data.Tables;

namespace Payments.Core.Payments;

public sealed record PaymentPage(IReadOnlyList<Payment> Payments, string? NextCursor);

/// <summary>
/// Lists one merchant's payments, newest first. Payments are spread over hash partitions (so no merchant is a hot
/// partition), which makes this a cross-partition query filtered by merchant: fine for a merchant's recent history,
/// and the documented price of the write path's spread. The cursor is opaque to clients: the last item's time and id.
/// </summary>
public sealed class PaymentListing(PaymentRepository payments)
{
    public const int MaxLimit = 100;

    public async Task<PaymentPage> ListAsync(string merchantId, PaymentStatus? status, int limit, PaymentCursor? after, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);
        var filter = status is { } wanted
            ? TableClient.CreateQueryFilter($"Kind eq {PaymentEntity.KindValue} and MerchantId eq {merchantId} and Status eq {wanted.ToString()}")
            : TableClient.CreateQueryFilter($"Kind eq {PaymentEntity.KindValue} and MerchantId eq {merchantId}");
        if (after is { } cursor)
        {
            filter += TableClient.CreateQueryFilter($" and CreatedAt le {cursor.CreatedAt}");
        }

        var found = new List<Payment>();
        await foreach (var entity in payments.Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var payment = PaymentEntity.FromEntity(entity);
            if (after is not { } c || PaymentCursor.Compare(payment, c) > 0)
            {
                found.Add(payment);
            }
        }

        var page = found.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id.Value, StringComparer.Ordinal).Take(limit + 1).ToList();
        var next = page.Count > limit ? PaymentCursor.After(page[limit - 1]).Encode() : null;
        return new PaymentPage(page.Take(limit).ToList(), next);
    }
}

/// <summary>Where a page ended: newest-first order is (CreatedAt desc, Id desc).</summary>
public readonly record struct PaymentCursor(DateTimeOffset CreatedAt, string PaymentId)
{
    public static PaymentCursor After(Payment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        return new(payment.CreatedAt, payment.Id.Value);
    }

    /// <summary>Positive when the payment comes after the cursor in newest-first order.</summary>
    public static int Compare(Payment payment, PaymentCursor cursor)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var byTime = cursor.CreatedAt.CompareTo(payment.CreatedAt);
        return byTime != 0 ? byTime : string.CompareOrdinal(cursor.PaymentId, payment.Id.Value);
    }

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
