using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace Payments.Functions.Tests.EndToEnd.BadInput;

/// <summary>What a hostile request may refer to: ids and keys that exist, and tokens of every kind.</summary>
public sealed record BadInputContext(
    PaymentsAppSettings Settings, string PaymentId, string CustomerId, string CustomerETag, string UsedPaymentKey, string OtherMerchantPaymentId);

/// <summary>One malformed or hostile request and the 4xx the API documents for it.</summary>
public sealed record BadInputCase(string Name, int Status, Func<BadInputContext, HttpRequestMessage> Build);

/// <summary>
/// The corpus: bodies, headers, keys, tokens, queries and ids a careless or hostile client sends. Every case expects
/// the documented problem+json status and no change to storage.
/// </summary>
public static class BadInputCorpus
{
    private const string Payments = "api/v1/payments";
    private const string Customers = "api/v1/customers";
    private const string ValidPayment = """{"amount":1999,"currency":"EUR","source":"tok_visa"}""";
    private const string ValidCustomer = """{"email":"bad-input@example.com","name":"Bad Input"}""";

    public static IReadOnlyList<BadInputCase> All { get; } = Build();

    public static IEnumerable<object[]> Names => All.Select(c => new object[] { c.Name });

    public static BadInputCase Get(string name) => All.Single(c => c.Name == name);

    private static List<BadInputCase> Build()
    {
        var cases = new List<BadInputCase>();

        void PaymentBody(string name, string body, int status = 400) =>
            cases.Add(new(name, status, ctx => Json(HttpMethod.Post, Payments, ctx.Settings.Token(), body, FreshKey())));

        // Bodies: structure.
        PaymentBody("body-empty", string.Empty);
        PaymentBody("body-whitespace-only", "   \r\n ");
        PaymentBody("body-json-null", "null");
        PaymentBody("body-array", "[]");
        PaymentBody("body-string", "\"payment\"");
        PaymentBody("body-number", "1999");
        PaymentBody("body-truncated", """{"amount":1999,"currency":"EUR" """);
        PaymentBody("body-empty-object", "{}");
        PaymentBody("body-unknown-property", """{"amount":1999,"currency":"EUR","source":"tok_visa","admin":true}""");
        PaymentBody("body-duplicate-amount", """{"amount":1,"currency":"EUR","source":"tok_visa","amount":99999999}""");
        PaymentBody("body-duplicate-currency-case-variant", """{"amount":1999,"currency":"EUR","source":"tok_visa","Currency":"USD"}""");
        PaymentBody("body-line-comment", "{\"amount\":1999, // cents\n\"currency\":\"EUR\",\"source\":\"tok_visa\"}");
        PaymentBody("body-block-comment", """{"amount":1999,/* x */"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("body-trailing-garbage", ValidPayment + " garbage");
        PaymentBody("body-two-objects", ValidPayment + ValidPayment);
        PaymentBody("body-trailing-comma", """{"amount":1999,"currency":"EUR","source":"tok_visa",}""");
        PaymentBody("body-single-quotes", "{'amount':1999,'currency':'EUR','source':'tok_visa'}");
        PaymentBody("body-unquoted-names", "{amount:1999,currency:\"EUR\",source:\"tok_visa\"}");
        PaymentBody("body-deeply-nested", "{\"amount\":1999,\"currency\":\"EUR\",\"source\":\"tok_visa\",\"metadata\":"
            + new string('[', 5000) + new string(']', 5000) + "}");
        PaymentBody("body-nested-objects-in-metadata", """{"amount":1999,"currency":"EUR","source":"tok_visa","metadata":{"a":{"b":{"c":"d"}}}}""");
        PaymentBody("body-over-64kib", """{"amount":1999,"currency":"EUR","source":"tok_visa","description":""" + "\"" + new string('x', 70_000) + "\"}", 413);
        // Azure's host drops a body sent without Content-Length; the app refuses it rather than read nothing.
        cases.Add(new("body-over-64kib-chunked", 411, ctx =>
        {
            var request = Request(HttpMethod.Post, Payments, ctx.Settings.Token(), FreshKey());
            var bytes = Encoding.UTF8.GetBytes("{\"description\":\"" + new string('y', 200_000) + "\"}");
            request.Content = new StreamContent(new NonSeekableStream(bytes));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TransferEncodingChunked = true;
            return request;
        }));
        cases.Add(new("body-valid-but-chunked", 411, ctx =>
        {
            var request = Request(HttpMethod.Post, Payments, ctx.Settings.Token(), FreshKey());
            request.Content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes("""{"amount":1999,"currency":"EUR","source":"tok_visa"}""")));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TransferEncodingChunked = true;
            return request;
        }));

        // Bodies: amounts.
        PaymentBody("amount-string", """{"amount":"1999","currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-fraction", """{"amount":19.99,"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-negative", """{"amount":-1999,"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-zero", """{"amount":0,"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-above-maximum", """{"amount":100000000,"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-long-max", """{"amount":9223372036854775807,"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-overflows-long", """{"amount":9223372036854775808,"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-long-min", """{"amount":-9223372036854775808,"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-exponent", """{"amount":1e3,"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-huge-exponent", """{"amount":1e400,"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-boolean", """{"amount":true,"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-null", """{"amount":null,"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-object", """{"amount":{"value":1999},"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-missing", """{"currency":"EUR","source":"tok_visa"}""");
        PaymentBody("amount-nan-literal", """{"amount":NaN,"currency":"EUR","source":"tok_visa"}""");

        // Bodies: currencies, sources, customers, text.
        PaymentBody("currency-lower-case", """{"amount":1999,"currency":"eur","source":"tok_visa"}""");
        PaymentBody("currency-unknown-code", """{"amount":1999,"currency":"XYZ","source":"tok_visa"}""");
        PaymentBody("currency-empty", """{"amount":1999,"currency":"","source":"tok_visa"}""");
        PaymentBody("currency-number", """{"amount":1999,"currency":978,"source":"tok_visa"}""");
        PaymentBody("currency-null", """{"amount":1999,"currency":null,"source":"tok_visa"}""");
        PaymentBody("currency-rtl-override", """{"amount":1999,"currency":"\u202EEUR","source":"tok_visa"}""");
        PaymentBody("currency-zero-width-space", """{"amount":1999,"currency":"E\u200BUR","source":"tok_visa"}""");
        PaymentBody("currency-fullwidth-letters", """{"amount":1999,"currency":"ＥＵＲ","source":"tok_visa"}""");
        PaymentBody("source-not-a-token", """{"amount":1999,"currency":"EUR","source":"4242424242424242"}""");
        PaymentBody("source-nul-character", """{"amount":1999,"currency":"EUR","source":"tok_visa\u0000"}""");
        PaymentBody("source-sql-injection", """{"amount":1999,"currency":"EUR","source":"tok_visa' OR '1'='1"}""");
        PaymentBody("source-unknown-to-the-gateway", """{"amount":1999,"currency":"EUR","source":"tok_mastercard"}""", 422);
        PaymentBody("source-case-variant-of-a-test-token", """{"amount":1999,"currency":"EUR","source":"tok_VISA"}""", 422);
        PaymentBody("source-array", """{"amount":1999,"currency":"EUR","source":["tok_visa"]}""");
        PaymentBody("description-lone-high-surrogate", """{"amount":1999,"currency":"EUR","source":"tok_visa","description":"\uD800"}""");
        PaymentBody("description-lone-low-surrogate", """{"amount":1999,"currency":"EUR","source":"tok_visa","description":"a\uDC00b"}""");
        PaymentBody("description-nul-character", """{"amount":1999,"currency":"EUR","source":"tok_visa","description":"a\u0000b"}""");
        PaymentBody("description-too-long", """{"amount":1999,"currency":"EUR","source":"tok_visa","description":""" + "\"" + new string('d', 1001) + "\"}");
        PaymentBody("customer-id-path-traversal", """{"amount":1999,"currency":"EUR","source":"tok_visa","customerId":"../../customers/x"}""");
        PaymentBody("customer-id-encoded-slash", """{"amount":1999,"currency":"EUR","source":"tok_visa","customerId":"cus_..%2F..%2Fx"}""");
        PaymentBody("customer-id-odata-injection", """{"amount":1999,"currency":"EUR","source":"tok_visa","customerId":"cus_x' or PartitionKey ne '"}""");
        PaymentBody("metadata-array", """{"amount":1999,"currency":"EUR","source":"tok_visa","metadata":["a"]}""");
        PaymentBody("metadata-number-value", """{"amount":1999,"currency":"EUR","source":"tok_visa","metadata":{"order":42}}""");
        PaymentBody("metadata-empty-key", """{"amount":1999,"currency":"EUR","source":"tok_visa","metadata":{"":"x"}}""");
        // Within every per-entry limit, but 66 KB once JSON-escaped as stored (UTF-16): past Table Storage's 64 KiB property limit.
        PaymentBody("metadata-escaped-past-the-stored-property-limit", """{"amount":1999,"currency":"EUR","source":"tok_visa","metadata":{"""
            + string.Join(",", Enumerable.Range(0, 11).Select(i => $"\"k{i}\":\"{new string('<', 500)}\"")) + "}}");
        PaymentBody("metadata-key-too-long", """{"amount":1999,"currency":"EUR","source":"tok_visa","metadata":{""" + "\"" + new string('k', 41) + "\":\"v\"}}");
        PaymentBody("metadata-too-many-entries", """{"amount":1999,"currency":"EUR","source":"tok_visa","metadata":{"""
            + string.Join(',', Enumerable.Range(0, 51).Select(i => string.Create(CultureInfo.InvariantCulture, $"\"k{i}\":\"v\""))) + "}}");
        cases.Add(new("body-invalid-utf8", 400, ctx =>
        {
            var request = Request(HttpMethod.Post, Payments, ctx.Settings.Token(), FreshKey());
            byte[] bytes = [.. "{\"amount\":1999,\"currency\":\"EUR\",\"source\":\"tok_visa\",\"description\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8];
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return request;
        }));

        // Content types.
        void PaymentContentType(string name, string? contentType) => cases.Add(new(name, 415, ctx =>
        {
            var request = Request(HttpMethod.Post, Payments, ctx.Settings.Token(), FreshKey());
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(ValidPayment));
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }

            return request;
        }));
        PaymentContentType("content-type-missing", null);
        PaymentContentType("content-type-text-plain", "text/plain");
        PaymentContentType("content-type-xml", "application/xml");
        PaymentContentType("content-type-form", "application/x-www-form-urlencoded");
        PaymentContentType("content-type-utf16-charset", "application/json; charset=utf-16");
        PaymentContentType("content-type-garbage", ";;;===");
        PaymentContentType("content-type-json-prefix-trick", "application/jsonp");

        // Idempotency keys.
        void PaymentKey(string name, string? key, int status = 400) => cases.Add(new(name, status, ctx =>
            Json(HttpMethod.Post, Payments, ctx.Settings.Token(), ValidPayment, key)));
        PaymentKey("key-missing", null);
        PaymentKey("key-empty", string.Empty);
        PaymentKey("key-whitespace-only", "   ");
        PaymentKey("key-inner-space", "two words");
        PaymentKey("key-inner-tab", "tab\tinside");
        PaymentKey("key-too-long", new string('k', 256));
        PaymentKey("key-unterminated-quote", "\"abc");
        PaymentKey("key-bad-escape", "\"a\\qb\"");
        PaymentKey("key-empty-quoted", "\"\"");
        PaymentKey("key-two-values", "first, second");
        cases.Add(new("key-reused-with-different-body", 422, ctx =>
            Json(HttpMethod.Post, Payments, ctx.Settings.Token(), """{"amount":2000,"currency":"EUR","source":"tok_visa"}""", ctx.UsedPaymentKey)));
        cases.Add(new("key-reused-with-other-currency", 422, ctx =>
            Json(HttpMethod.Post, Payments, ctx.Settings.Token(), """{"amount":1999,"currency":"USD","source":"tok_visa"}""", ctx.UsedPaymentKey)));

        // Tokens.
        void PaymentToken(string name, Func<BadInputContext, string?> authorization, int status = 401) => cases.Add(new(name, status, ctx =>
        {
            var request = Json(HttpMethod.Post, Payments, token: null, ValidPayment, FreshKey());
            if (authorization(ctx) is { } value)
            {
                request.Headers.TryAddWithoutValidation("Authorization", value);
            }

            return request;
        }));
        PaymentToken("token-missing", _ => null);
        PaymentToken("token-empty-bearer", _ => "Bearer ");
        PaymentToken("token-garbage", _ => "Bearer abc.def.ghi");
        PaymentToken("token-basic-scheme", _ => "Basic " + Convert.ToBase64String("merchant-1:secret"u8.ToArray()));
        PaymentToken("token-alg-none", _ => "Bearer " + TestIssuer.UnsignedToken());
        PaymentToken("token-expired", ctx => "Bearer " + ctx.Settings.Issuer.Token(
            notBefore: DateTime.UtcNow.AddHours(-2), expires: DateTime.UtcNow.AddHours(-1)));
        PaymentToken("token-not-yet-valid", ctx => "Bearer " + ctx.Settings.Issuer.Token(
            notBefore: DateTime.UtcNow.AddHours(1), expires: DateTime.UtcNow.AddHours(2)));
        PaymentToken("token-wrong-audience", ctx => "Bearer " + ctx.Settings.Issuer.Token(audience: "api://someone-else"));
        PaymentToken("token-wrong-issuer", ctx => "Bearer " + ctx.Settings.Issuer.Token(issuer: "https://evil.test/"));
        PaymentToken("token-unknown-key", ctx => "Bearer " + ctx.Settings.Issuer.Token(key: ctx.Settings.Issuer.NewRsaKey("stranger")));
        PaymentToken("token-hmac-with-public-key", ctx => "Bearer " + ctx.Settings.Issuer.HmacWithPublicKeyToken());
        PaymentToken("token-tampered-subject", ctx => "Bearer " + TestIssuer.Tamper(ctx.Settings.Token(), "merchant-2"));
        PaymentToken("token-no-subject", ctx => "Bearer " + ctx.Settings.Issuer.Token(subject: null));
        PaymentToken("token-no-expiry", ctx => "Bearer " + ctx.Settings.Issuer.Token(withExpiry: false));
        PaymentToken("token-read-scope-on-post", ctx => "Bearer " + ctx.Settings.Token(scope: "payments:read"), 403);
        PaymentToken("token-no-scope", ctx => "Bearer " + ctx.Settings.Issuer.Token(scope: null), 403);

        // Ids in paths.
        void GetPayment(string name, Func<BadInputContext, string> path, int status = 404, Func<BadInputContext, string>? token = null) =>
            cases.Add(new(name, status, ctx => Request(HttpMethod.Get, path(ctx), token is null ? ctx.Settings.Token() : token(ctx))));
        GetPayment("id-dot-dot-encoded-slashes", _ => Payments + "/..%2F..%2Fcustomers");
        GetPayment("id-encoded-slash-inside", ctx => Payments + "/" + ctx.PaymentId[..10] + "%2F" + ctx.PaymentId[10..]);
        GetPayment("id-double-encoded-traversal", _ => Payments + "/%252e%252e%252fhealth");
        GetPayment("id-encoded-backslash", _ => Payments + "/..%5C..%5Chealth");
        GetPayment("id-wrong-prefix", ctx => Payments + "/" + ctx.CustomerId);
        GetPayment("id-short-hex", _ => Payments + "/pay_abc");
        GetPayment("id-upper-case-hex", ctx => Payments + "/" + ctx.PaymentId.ToUpperInvariant());
        GetPayment("id-rtl-override", ctx => Payments + "/" + Uri.EscapeDataString("\u202E" + ctx.PaymentId));
        GetPayment("id-zero-width-joiner", ctx => Payments + "/" + Uri.EscapeDataString(ctx.PaymentId + "\u200D"));
        GetPayment("id-odata-injection", _ => Payments + "/" + Uri.EscapeDataString("pay_x' or PartitionKey ne '"));
        GetPayment("id-very-long", _ => Payments + "/pay_" + new string('a', 2000));
        GetPayment("id-another-callers-payment", ctx => Payments + "/" + ctx.OtherMerchantPaymentId);
        GetPayment("id-write-scope-only", ctx => Payments + "/" + ctx.PaymentId, 403, ctx => ctx.Settings.Token(scope: "payments:write"));
        GetPayment("customer-id-traversal", _ => Customers + "/..%2F..%2Fpayments");
        GetPayment("customer-another-callers", ctx => Customers + "/" + ctx.CustomerId, 404, ctx => ctx.Settings.Token(subject: "merchant-2"));

        // The list query.
        void List(string name, string query) => cases.Add(new(name, 400, ctx => Request(HttpMethod.Get, Payments + "?" + query, ctx.Settings.Token())));
        List("list-status-unknown", "status=refunded");
        List("list-status-upper-case", "status=PENDING");
        List("list-status-empty", "status=");
        List("list-status-number", "status=1");
        List("list-status-enum-name", "status=Pending");
        List("list-status-padded", "status=%20pending");
        List("list-limit-zero", "limit=0");
        List("list-limit-negative", "limit=-1");
        List("list-limit-too-large", "limit=101");
        List("list-limit-not-a-number", "limit=ten");
        List("list-limit-overflowing", "limit=99999999999999999999");
        List("list-limit-with-sign", "limit=%2B5");
        List("list-limit-fraction", "limit=2.5");
        List("list-cursor-garbage", "cursor=not-a-cursor");
        List("list-cursor-traversal", "cursor=..%2F..%2Fsecrets");
        // Well formed, but at times no payment of this API was made: the year 1 and the year 9999.
        static string Cursor(long ticks) => "cursor=" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(
            ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) + "|pay_" + new string('a', 35))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        List("list-cursor-time-before-any-payment", Cursor(1));
        List("list-cursor-time-far-future", Cursor(DateTimeOffset.MaxValue.UtcTicks - 1));
        List("list-cursor-base64-json-forgery", "cursor=" + Uri.EscapeDataString(Convert.ToBase64String("{\"pk\":\"' or 1 eq 1\"}"u8.ToArray())));

        // Customers: bodies and If-Match.
        void CustomerWrite(string name, int status, HttpMethod method, Func<BadInputContext, string> path, string? body, Func<BadInputContext, string?> ifMatch,
            bool withKey = false) => cases.Add(new(name, status, ctx =>
        {
            var request = Json(method, path(ctx), ctx.Settings.Token(), body, withKey ? FreshKey() : null);
            if (ifMatch(ctx) is { } value)
            {
                request.Headers.TryAddWithoutValidation("If-Match", value);
            }

            return request;
        }));
        CustomerWrite("customer-create-invalid-email", 400, HttpMethod.Post, _ => Customers, """{"email":"not-an-email","name":"X"}""", _ => null, withKey: true);
        CustomerWrite("customer-create-missing-name", 400, HttpMethod.Post, _ => Customers, """{"email":"a@example.com"}""", _ => null, withKey: true);
        CustomerWrite("customer-create-name-number", 400, HttpMethod.Post, _ => Customers, """{"email":"a@example.com","name":42}""", _ => null, withKey: true);
        CustomerWrite("customer-create-without-key", 400, HttpMethod.Post, _ => Customers, ValidCustomer, _ => null);
        CustomerWrite("customer-replace-stale-if-match", 412, HttpMethod.Put, ctx => Customers + "/" + ctx.CustomerId, ValidCustomer, _ => "\"0000\"");
        CustomerWrite("customer-replace-weak-if-match", 412, HttpMethod.Put, ctx => Customers + "/" + ctx.CustomerId, ValidCustomer, ctx => "W/" + ctx.CustomerETag);
        CustomerWrite("customer-replace-unquoted-if-match", 412, HttpMethod.Put, ctx => Customers + "/" + ctx.CustomerId, ValidCustomer, ctx => ctx.CustomerETag.Trim('"'));
        CustomerWrite("customer-replace-garbage-if-match", 412, HttpMethod.Put, ctx => Customers + "/" + ctx.CustomerId, ValidCustomer, _ => ",,\"unterminated");
        CustomerWrite("customer-replace-unknown-id", 404, HttpMethod.Put, ctx => Customers + "/cus_" + new string('0', 35), ValidCustomer, _ => null);
        CustomerWrite("customer-replace-traversal-id", 404, HttpMethod.Put, _ => Customers + "/..%2F..%2Fpayments", ValidCustomer, _ => null);
        CustomerWrite("customer-replace-bad-body", 400, HttpMethod.Put, ctx => Customers + "/" + ctx.CustomerId, """{"email":"x@example.com"}""", ctx => ctx.CustomerETag);
        CustomerWrite("customer-delete-stale-if-match", 412, HttpMethod.Delete, ctx => Customers + "/" + ctx.CustomerId, null, _ => "\"stale\"");
        return cases;
    }

    private static string FreshKey() => "bad-input-" + Guid.NewGuid().ToString("N");

    private static HttpRequestMessage Request(HttpMethod method, string path, string? token, string? idempotencyKey = null) =>
        PaymentsApp.Request(method, path, token, json: null, idempotencyKey);

    private static HttpRequestMessage Json(HttpMethod method, string path, string? token, string? body, string? idempotencyKey) =>
        PaymentsApp.Request(method, path, token, body, idempotencyKey);

    /// <summary>A body of unknown length, so the client sends it chunked, without Content-Length.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }
}
