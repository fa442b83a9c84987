using System.Text;
using Idempotency.Tables;
using Payments.Core.Payments;
using Payments.Functions.Http;

namespace Payments.Functions.Tests.Http;

public sealed class JsonBodyTests
{
    private const string Valid = """{"amount":1999,"currency":"EUR","source":"tok_visa"}""";

    /// <summary>The default of Idempotency:MaxRequestBodyBytes, the app's one body limit.</summary>
    private static readonly int DefaultLimit = new IdempotencyOptions().MaxRequestBodyBytes;

    private static BodyReadResult<CreatePaymentRequest> Read(string body, string? contentType = "application/json", int? limit = null) =>
        JsonBody.Read(Encoding.UTF8.GetBytes(body), contentType, CreatePaymentRequest.JsonTypeInfo, limit ?? DefaultLimit);

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON")]
    [InlineData("application/merge-patch+json")]
    public void Read_WhenContentTypeIsJson_ShouldRead(string contentType)
    {
        var read = Assert.IsType<BodyReadResult<CreatePaymentRequest>.Read>(Read(Valid, contentType));

        Assert.Equal(1999, read.Value.Amount);
        Assert.Empty(read.Value.Validate());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=latin1")]
    [InlineData("not a media type")]
    public void Read_WhenContentTypeIsNotJson_ShouldRefuseWith415(string? contentType)
    {
        var refused = Assert.IsType<BodyReadResult<CreatePaymentRequest>.Refused>(Read(Valid, contentType));

        Assert.Equal(415, refused.Problem.Status);
        Assert.Contains("application/json", refused.Problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WhenBodyExceedsLimit_ShouldRefuseWith413()
    {
        var refused = Assert.IsType<BodyReadResult<CreatePaymentRequest>.Refused>(Read(new string(' ', DefaultLimit + 1)));

        Assert.Equal(413, refused.Problem.Status);
    }

    [Fact]
    public void Read_WhenTheLimitIsRaisedTo1MiB_ShouldReadABodyOver64KiB()
    {
        var description = new string('x', 70_000);
        var body = $$"""{"amount":1999,"currency":"EUR","source":"tok_visa","description":"{{description}}"}""";

        var read = Assert.IsType<BodyReadResult<CreatePaymentRequest>.Read>(Read(body, limit: 1024 * 1024));

        Assert.Equal(description, read.Value.Description);
        Assert.IsType<BodyReadResult<CreatePaymentRequest>.Refused>(Read(body));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("null", "null")]
    [InlineData("{\"amount\":1999,", "line 1")]
    [InlineData("{\"amount\":19.99,\"currency\":\"EUR\",\"source\":\"tok_visa\"}", "$.amount")]
    [InlineData("{\"amount\":\"1999\",\"currency\":\"EUR\",\"source\":\"tok_visa\"}", "$.amount")]
    [InlineData("{\"amount\":1e30,\"currency\":\"EUR\",\"source\":\"tok_visa\"}", "$.amount")]
    [InlineData("{\"amount\":1999,\"currency\":\"EUR\",\"source\":\"tok_visa\",\"extra\":1}", "extra")]
    [InlineData("{\"amount\":1999,\"amount\":1,\"currency\":\"EUR\",\"source\":\"tok_visa\"}", "amount")]
    [InlineData("{\"currency\":\"EUR\",\"source\":\"tok_visa\"}", "amount")]
    [InlineData("[1,2,3]", "$")]
    [InlineData("{\"amount\":1999,\"currency\":\"EUR\",\"source\":\"tok_visa\",\"metadata\":{\"a\":1}}", "$.metadata")]
    [InlineData("{\"amount\":1999,\"currency\":\"EUR\",\"source\":\"tok_visa\"} // comment", "line 1")]
    public void Read_WhenJsonIsMalformedOrMistyped_ShouldRefuseWith400NamingTheSpot(string body, string expectedInDetail)
    {
        var refused = Assert.IsType<BodyReadResult<CreatePaymentRequest>.Refused>(Read(body));

        Assert.Equal(400, refused.Problem.Status);
        Assert.Contains(expectedInDetail, refused.Problem.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", refused.Problem.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Payments.", refused.Problem.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(".NET", refused.Problem.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Int64", refused.Problem.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Dictionary", refused.Problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WhenJsonIsNestedTooDeep_ShouldRefuseWith400()
    {
        var deep = "{\"amount\":1999,\"currency\":\"EUR\",\"source\":\"tok_visa\",\"metadata\":" + new string('[', 100) + new string(']', 100) + "}";

        var refused = Assert.IsType<BodyReadResult<CreatePaymentRequest>.Refused>(Read(deep));

        Assert.Equal(400, refused.Problem.Status);
    }
}
