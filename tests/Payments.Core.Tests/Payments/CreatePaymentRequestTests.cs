using Payments.Core.Payments;

namespace Payments.Core.Tests.Payments;

public sealed class CreatePaymentRequestTests
{
    private static CreatePaymentRequest Valid() => new(1999, "EUR", "tok_visa", null, null, null);

    [Fact]
    public void Validate_WhenRequestIsValid_ShouldReportNothing()
    {
        Assert.Empty((Valid() with { Metadata = new() { ["order"] = "42" }, Description = "Order 42" }).Validate());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(100_000_000)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void Validate_WhenAmountIsOutOfRange_ShouldNameAmount(long amount)
    {
        var errors = (Valid() with { Amount = amount }).Validate();

        Assert.Contains("99,999,999", Assert.Single(errors["amount"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eur")]
    [InlineData("EURO")]
    [InlineData("XXX")]
    [InlineData("")]
    [InlineData("€")]
    public void Validate_WhenCurrencyIsNotAllowed_ShouldNameCurrency(string currency)
    {
        Assert.True((Valid() with { Currency = currency }).Validate().ContainsKey("currency"));
    }

    [Theory]
    [InlineData("visa")]
    [InlineData("tok_")]
    [InlineData("tok_../../x")]
    [InlineData("tok_visa\u0000")]
    public void Validate_WhenSourceIsNotAToken_ShouldNameSource(string source)
    {
        Assert.True((Valid() with { Source = source }).Validate().ContainsKey("source"));
    }

    [Fact]
    public void Validate_WhenMetadataBreaksLimits_ShouldListEachProblem()
    {
        var metadata = Enumerable.Range(0, 51).ToDictionary(i => "k" + i, _ => "v");
        metadata[new string('k', 41)] = new string('v', 501);

        var problems = (Valid() with { Metadata = metadata }).Validate()["metadata"];

        Assert.Equal(3, problems.Length);
    }

    [Fact]
    public void Validate_WhenMetadataEscapesPastTheStoredPropertyLimit_ShouldNameMetadata()
    {
        // The case: within every per-entry limit, yet 11 values of 500 '<' take 66 KB once JSON-escaped as UTF-16.
        var metadata = Enumerable.Range(0, 11).ToDictionary(i => "k" + i, _ => new string('<', 500));

        var problem = Assert.Single((Valid() with { Metadata = metadata }).Validate()["metadata"]);

        Assert.Contains("as stored", problem, StringComparison.Ordinal);
        Assert.Contains("65,536", problem, StringComparison.Ordinal);
        Assert.True(PaymentEntity.StoredBytes(PaymentEntity.MetadataJson(metadata)) > PaymentEntity.MaxStringPropertyBytes);
    }

    [Fact]
    public void Validate_WhenEscapedMetadataStillFits_ShouldAcceptIt()
    {
        var metadata = Enumerable.Range(0, 10).ToDictionary(i => "k" + i, _ => new string('<', 500));

        Assert.Empty((Valid() with { Metadata = metadata }).Validate());
        Assert.True(PaymentEntity.StoredBytes(PaymentEntity.MetadataJson(metadata)) <= PaymentEntity.MaxStringPropertyBytes);
    }
}
