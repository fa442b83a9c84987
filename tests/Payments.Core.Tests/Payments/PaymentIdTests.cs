using Payments.Core.Payments;

namespace Payments.Core.Tests.Payments;

public sealed class PaymentIdTests
{
    [Fact]
    public void New_WhenGivenAPartition_ShouldRoundTripThroughTryParse()
    {
        var id = PaymentId.New("0af");

        Assert.True(PaymentId.TryParse(id.Value, out var parsed));
        Assert.Equal(id, parsed);
        Assert.Equal("0af", parsed.PartitionKey);
        Assert.StartsWith("pay_0af", id.Value, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("pay_")]
    [InlineData("pay_0AF0123456789abcdef0123456789abcdef")]
    [InlineData("pay_../0123456789abcdef0123456789abcdef")]
    [InlineData("cus_0af0123456789abcdef0123456789abcdef")]
    [InlineData("pay_0af0123456789abcdef0123456789abcdef0")]
    [InlineData("pay_0af0123456789abcdef0123456789abcde\u0663")]
    public void TryParse_WhenValueIsNotAnIdThisAppIssued_ShouldRefuse(string? value)
    {
        Assert.False(PaymentId.TryParse(value, out _));
    }

    [Fact]
    public void New_WhenPartitionIsNotThreeLowerHexDigits_ShouldThrow()
    {
        Assert.Throws<ArgumentException>(() => PaymentId.New("XYZ"));
    }
}
