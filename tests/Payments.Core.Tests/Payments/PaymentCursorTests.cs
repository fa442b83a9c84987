using Payments.Core.Payments;

namespace Payments.Core.Tests.Payments;

public sealed class PaymentCursorTests
{
    private static readonly string Id = PaymentId.New("abc").Value;

    [Theory]
    [InlineData(2000, 1, 1)]
    [InlineData(2026, 12, 3)]
    [InlineData(2099, 12, 31)]
    public void TryDecode_WhenTheTimeIsASaneDate_ShouldDecode(int year, int month, int day)
    {
        var encoded = new PaymentCursor(new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero), Id).Encode();

        Assert.True(PaymentCursor.TryDecode(encoded, out var cursor));
        Assert.Equal(year, cursor.CreatedAt.Year);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1999, 12, 31)]
    [InlineData(2100, 1, 1)]
    [InlineData(9999, 12, 31)]
    public void TryDecode_WhenTheTimeIsOutsideTheYears2000To2099_ShouldRefuse(int year, int month, int day)
    {
        var encoded = new PaymentCursor(new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero), Id).Encode();

        Assert.False(PaymentCursor.TryDecode(encoded, out _));
    }
}
