using System.Text;
using Idempotency.Tables;

namespace Idempotency.Tables.Tests;

public sealed class RequestFingerprintTests
{
    private static RequestFingerprint Json(string body, string method = "POST", string path = "/api/v1/payments", string contentType = "application/json") =>
        RequestFingerprint.Compute(method, path, contentType, Encoding.UTF8.GetBytes(body));

    [Fact]
    public void Compute_WhenJsonPropertyOrderAndWhitespaceDiffer_ShouldBeEqual()
    {
        var a = Json("""{"amount":1999,"currency":"EUR","metadata":{"b":"2","a":"1"},"items":[{"y":1,"x":2}]}""");
        var b = Json("""
            {
              "items": [ { "x": 2, "y": 1 } ],
              "metadata": { "a": "1", "b": "2" },
              "currency": "EUR",
              "amount": 1999
            }
            """);
        Assert.Equal(a, b);
        Assert.Matches("^[0-9a-f]{64}$", a.Value);
    }

    [Fact]
    public void Compute_WhenStringsUseDifferentEscapes_ShouldBeEqual()
    {
        Assert.Equal(Json("""{"name":"caf\u00e9 \/ x"}"""), Json("""{"name":"café / x"}"""));
    }

    [Fact]
    public void Compute_WhenAnyValueDiffers_ShouldDiffer()
    {
        var baseline = Json("""{"amount":1999,"currency":"EUR"}""");
        Assert.NotEqual(baseline, Json("""{"amount":2000,"currency":"EUR"}"""));
        Assert.NotEqual(baseline, Json("""{"amount":1999,"currency":"USD"}"""));
        Assert.NotEqual(baseline, Json("""{"amount":1999,"currency":"EUR","extra":null}"""));
        Assert.NotEqual(baseline, Json("""[{"amount":1999,"currency":"EUR"}]"""));
    }

    [Fact]
    public void Compute_WhenNumbersHaveDifferentLiteralText_ShouldDiffer()
    {
        Assert.NotEqual(Json("""{"amount":1}"""), Json("""{"amount":1.0}"""));
    }

    [Fact]
    public void Compute_WhenArrayOrderDiffers_ShouldDiffer()
    {
        Assert.NotEqual(Json("[1,2]"), Json("[2,1]"));
    }

    [Fact]
    public void Compute_WhenMethodOrPathDiffers_ShouldDiffer()
    {
        var body = """{"a":1}""";
        Assert.NotEqual(Json(body), Json(body, method: "PUT"));
        Assert.NotEqual(Json(body), Json(body, path: "/api/v1/customers"));
        Assert.Equal(Json(body), Json(body, method: "post"));
    }

    [Fact]
    public void Compute_WhenMediaTypeDiffersOnlyInParametersOrCase_ShouldBeEqual()
    {
        var body = """{"a":1}""";
        Assert.Equal(Json(body), Json(body, contentType: "Application/JSON; charset=utf-8"));
        Assert.NotEqual(Json(body), Json(body, contentType: "text/plain"));
    }

    [Fact]
    public void Compute_WhenBodyIsNotJson_ShouldHashRawBytes()
    {
        var form = RequestFingerprint.Compute("POST", "/x", "application/x-www-form-urlencoded", "a=1&b=2"u8);
        Assert.Equal(form, RequestFingerprint.Compute("POST", "/x", "application/x-www-form-urlencoded", "a=1&b=2"u8));
        Assert.NotEqual(form, RequestFingerprint.Compute("POST", "/x", "application/x-www-form-urlencoded", "b=2&a=1"u8));
        // Whitespace is significant when the body is not JSON.
        Assert.NotEqual(
            RequestFingerprint.Compute("POST", "/x", "text/plain", """{"a":1}"""u8),
            RequestFingerprint.Compute("POST", "/x", "text/plain", """{ "a": 1 }"""u8));
    }

    [Fact]
    public void Compute_WhenJsonIsMalformed_ShouldFallBackToRawBytes()
    {
        Assert.Equal(Json("""{"a":1"""), Json("""{"a":1"""));
        Assert.NotEqual(Json("""{"a":1"""), Json("""{ "a":1"""));
        Assert.NotEqual(Json("""{"a":1} trailing"""), Json("""{"a":1}"""));
    }

    [Fact]
    public void TryCanonicalizeJson_WhenDocumentIsValid_ShouldSortPropertiesAndDropWhitespace()
    {
        Assert.True(RequestFingerprint.TryCanonicalizeJson("""{ "b" : [ 1 , 2.50 ], "a" : { "d" : true, "c" : null } }"""u8, out var canonical));
        Assert.Equal("""{"a":{"c":null,"d":true},"b":[1,2.50]}""", Encoding.UTF8.GetString(canonical));
    }

    [Fact]
    public void TryCanonicalizeJson_WhenJsonHasCommentsOrTrailingCommas_ShouldRefuse()
    {
        Assert.False(RequestFingerprint.TryCanonicalizeJson("""{"a":1,}"""u8, out _));
        Assert.False(RequestFingerprint.TryCanonicalizeJson("""{"a":1 /* c */}"""u8, out _));
        Assert.False(RequestFingerprint.TryCanonicalizeJson(""u8, out _));
    }
}
