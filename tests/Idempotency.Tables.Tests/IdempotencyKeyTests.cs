using Idempotency.Tables;

namespace Idempotency.Tables.Tests;

public sealed class IdempotencyKeyTests
{
    [Theory]
    [InlineData("abc", "abc")]
    [InlineData("\"abc\"", "abc")]
    [InlineData("  abc\t", "abc")]
    [InlineData("\"a\\\"b\"", "a\"b")]
    [InlineData("\"a\\\\b\"", "a\\b")]
    [InlineData("a/b\\c#d?e", "a/b\\c#d?e")]
    [InlineData("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324")]
    public void TryParse_WhenValueIsValid_ShouldReturnTheKeyWithoutQuotes(string header, string expected)
    {
        Assert.True(IdempotencyKey.TryParse(header, out var key, out var error), error);
        Assert.Equal(expected, key.Value);
    }

    [Fact]
    public void TryParse_WhenQuotedAndBareFormsCarryTheSameKey_ShouldBeEqual()
    {
        Assert.Equal(IdempotencyKey.Parse("order-42"), IdempotencyKey.Parse("\"order-42\""));
        Assert.Equal(IdempotencyKey.Parse("a\\b"), IdempotencyKey.Parse("\"a\\\\b\""));
    }

    [Fact]
    public void TryParse_WhenKeyHas255Characters_ShouldAccept()
    {
        Assert.True(IdempotencyKey.TryParse(new string('k', 255), out var key, out _));
        Assert.Equal(255, key.Value.Length);
    }

    [Theory]
    [InlineData(null, "is required")]
    [InlineData("", "is empty")]
    [InlineData("   ", "is empty")]
    [InlineData("\"\"", "empty quoted string")]
    [InlineData("a b", "a space at position 2")]
    [InlineData("\"a b\"", "a space at position 2")]
    [InlineData("ab\u0001", "control character U+0001 at position 3")]
    [InlineData("a\tb", "control character U+0009 at position 2")]
    [InlineData("caf\u00e9", "non-ASCII character U+00E9 at position 4")]
    [InlineData("\"abc", "no closing quote")]
    [InlineData("\"abc\";p=1", "after its closing quote")]
    [InlineData("\"a\\nb\"", "escapes neither")]
    public void TryParse_WhenValueIsInvalid_ShouldSayWhatIsWrong(string? header, string expected)
    {
        Assert.False(IdempotencyKey.TryParse(header, out var key, out var error));
        Assert.Null(key);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains("Idempotency-Key", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_WhenKeyHas256Characters_ShouldSayTheLimit()
    {
        Assert.False(IdempotencyKey.TryParse(new string('k', 256), out _, out var error));
        Assert.Contains("256 characters long; the limit is 255", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_WhenQuotedKeyUnescapesTo256Characters_ShouldRefuse()
    {
        var header = "\"" + string.Concat(Enumerable.Repeat("\\\\", 256)) + "\"";
        Assert.False(IdempotencyKey.TryParse(header, out _, out var error));
        Assert.Contains("256 characters", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_WhenErrorIsReported_ShouldSayHowToFixIt()
    {
        Assert.False(IdempotencyKey.TryParse("a b", out _, out var error));
        Assert.Contains("1 to 255 visible ASCII characters", error, StringComparison.Ordinal);
        Assert.False(IdempotencyKey.TryParse(null, out _, out var missing));
        Assert.Contains("Generate a unique value per logical request", missing, StringComparison.Ordinal);
    }
}
