using System.Net;
using System.Text.Json;
using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.IdentityModel.Tokens;
using Payments.Core.Auth;
using Payments.Functions.Http;
using Payments.Functions.Http.Operations;
using Payments.Functions.Middleware;
using Payments.Core.Telemetry;
using Payments.Core.Tests.Auth;
using Payments.Functions.Tests.Infrastructure;
using Payments.Functions.Tests.Telemetry;
using Payments.Testing.Telemetry;

namespace Payments.Functions.Tests.Middleware;

/// <summary>Functions for the middleware to find by entry point, as the worker's metadata names them.</summary>
public sealed class SampleFunctions
{
    public const string ProtectedEntryPoint = "Payments.Functions.Tests.Middleware.SampleFunctions." + nameof(Protected);
    public const string AnonymousEntryPoint = "Payments.Functions.Tests.Middleware.SampleFunctions." + nameof(Open);

    public static void Protected()
    {
    }

    [AllowAnonymous]
    public static void Open()
    {
    }
}

[Collection(TelemetryCollection.Name)]
public sealed class AuthenticationMiddlewareTests : IDisposable
{
    public enum BadToken
    {
        Malformed,
        Expired,
        NotYetValid,
        WrongIssuer,
        WrongAudience,
        BadSignature,
        TamperedPayload,
        AlgNone,
        Hs256WithPublicKey,
        UnknownKid,
        MissingSub,
    }

    private readonly TestIssuer issuer = new();
    private readonly FakeLogger<AuthenticationMiddleware> logs = new();
    private readonly ServiceProvider services = new ServiceCollection().BuildServiceProvider();
    private readonly AuthenticationMiddleware middleware;
    private readonly InMemoryKeySource keys;
    private HttpResponseData? writtenResponse;
    private int nextCalls;

    public AuthenticationMiddlewareTests()
    {
        keys = new InMemoryKeySource(issuer.Rsa);
        middleware = CreateMiddleware(keys);
    }

    public void Dispose()
    {
        issuer.Dispose();
        services.Dispose();
    }

    private AuthenticationMiddleware CreateMiddleware(ISigningKeySource source)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new JwtOptions
        {
            Issuer = TestIssuer.Issuer,
            Audience = TestIssuer.Audience,
            SigningKeysPath = "unused.json",
        });
        var cache = new SigningKeyCache(source, options, TimeProvider.System, NullLogger<SigningKeyCache>.Instance);
        return new AuthenticationMiddleware(new TokenVerifier(cache, options), logs)
        {
            SetResponse = (_, response) => writtenResponse = response,
        };
    }

    private string Token(BadToken kind) => kind switch
    {
        BadToken.Malformed => "eyJhbGciOiJSUzI1NiJ9.not-json-at-all.c2lnbmF0dXJl",
        BadToken.Expired => issuer.Token(notBefore: DateTime.UtcNow.AddHours(-2), expires: DateTime.UtcNow.AddHours(-1)),
        BadToken.NotYetValid => issuer.Token(notBefore: DateTime.UtcNow.AddHours(1), expires: DateTime.UtcNow.AddHours(2)),
        BadToken.WrongIssuer => issuer.Token(issuer: "https://evil.test/"),
        BadToken.WrongAudience => issuer.Token(audience: "api://other"),
        BadToken.BadSignature => issuer.Token(issuer.NewRsaKey(issuer.Rsa.KeyId)),
        BadToken.TamperedPayload => TestIssuer.Tamper(issuer.Token(), "merchant-2"),
        BadToken.AlgNone => TestIssuer.UnsignedToken(),
        BadToken.Hs256WithPublicKey => issuer.HmacWithPublicKeyToken(),
        BadToken.UnknownKid => issuer.Token(issuer.NewRsaKey("unpublished")),
        BadToken.MissingSub => issuer.Token(subject: null),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private async Task<FakeFunctionContext> InvokeAsync(string method, string? authorization, FunctionDefinition? definition = null)
    {
        var context = new FakeFunctionContext(definition ?? new FakeFunctionDefinition("CreatePayment", SampleFunctions.ProtectedEntryPoint), services);
        context.UseRequest(method, authorization);
        await middleware.Invoke(context, _ =>
        {
            nextCalls++;
            return Task.CompletedTask;
        });
        return context;
    }

    private FakeHttpResponseData AssertRefused(HttpStatusCode status)
    {
        Assert.Equal(0, nextCalls);
        var response = Assert.IsType<FakeHttpResponseData>(writtenResponse);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", Assert.Single(response.Headers.GetValues("Content-Type")));
        return response;
    }

    /// <summary>Every log entry, rendered with its structured values, so a value logged only as a field is searched too.</summary>
    private IEnumerable<string> LogEntries => logs.Collector.GetSnapshot().Select(log =>
        $"{log.Level}|{log.Id.Id}|{log.Message}|{string.Join(";", (log.StructuredState ?? []).Select(p => $"{p.Key}={p.Value}"))}|{log.Exception}");

    private static JsonElement Problem(FakeHttpResponseData response) => JsonDocument.Parse(response.ReadBody()).RootElement;

    private void AssertTokenNeverLeaked(string token, FakeHttpResponseData response)
    {
        var everything = string.Join("\n", LogEntries) + "\n" + response.ReadBody() + "\n" +
            string.Join("\n", response.Headers.SelectMany(h => h.Value));
        foreach (var part in token.Split('.').Where(p => p.Length >= 8))
        {
            Assert.DoesNotContain(part, everything, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Invoke_WhenTokensAreRefused_ShouldCountEachByReasonAndTheKeyFetchWithoutAnyTokenContent()
    {
        using var telemetry = new TelemetryCapture(PaymentsTelemetry.Name);
        var expired = Token(BadToken.Expired);

        await InvokeAsync("GET", "Bearer " + expired);
        await InvokeAsync("GET", authorization: null);
        await InvokeAsync("GET", "Bearer " + issuer.Token());

        Assert.Equal(1, telemetry.Total(PaymentsTelemetry.Instruments.TokenFailures, (PaymentsTelemetry.Attributes.Reason, nameof(TokenRejectionReason.Expired))));
        Assert.Equal(1, telemetry.Total(PaymentsTelemetry.Instruments.TokenFailures, (PaymentsTelemetry.Attributes.Reason, nameof(TokenRejectionReason.MissingToken))));
        Assert.Equal(2, telemetry.Total(PaymentsTelemetry.Instruments.TokenFailures));
        Assert.Equal(1, telemetry.Total(PaymentsTelemetry.Instruments.KeyRefreshes, (PaymentsTelemetry.Attributes.Outcome, "loaded")));
        Assert.All(telemetry.AllAttributes(), attribute =>
        {
            Assert.DoesNotContain("merchant-1", attribute.Value, StringComparison.Ordinal);
            Assert.All(expired.Split('.').Where(part => part.Length >= 8), part => Assert.DoesNotContain(part, attribute.Value, StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task Invoke_WhenNoAuthorizationHeader_ShouldAnswer401WithBareBearerChallenge()
    {
        await InvokeAsync("GET", authorization: null);

        var response = AssertRefused(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", Assert.Single(response.Headers.GetValues("WWW-Authenticate")));
        var problem = Problem(response);
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.Equal("https://payments.example/problems/authentication-required", problem.GetProperty("type").GetString());
        Assert.Contains("Authorization: Bearer", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, keys.Fetches);
    }

    [Fact]
    public async Task Invoke_WhenSchemeIsBasic_ShouldAnswer401WithBareBearerChallenge()
    {
        const string credentials = "Basic bWVyY2hhbnQtMTpodW50ZXIy";

        await InvokeAsync("GET", credentials);

        var response = AssertRefused(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", Assert.Single(response.Headers.GetValues("WWW-Authenticate")));
        Assert.Contains("Bearer scheme", Problem(response).GetProperty("detail").GetString(), StringComparison.Ordinal);
        AssertTokenNeverLeaked("bWVyY2hhbnQtMTpodW50ZXIy", response);
    }

    [Theory]
    [InlineData(BadToken.Malformed, "well-formed")]
    [InlineData(BadToken.Expired, "expired at")]
    [InlineData(BadToken.NotYetValid, "not valid before")]
    [InlineData(BadToken.WrongIssuer, "issuer")]
    [InlineData(BadToken.WrongAudience, "audience")]
    [InlineData(BadToken.BadSignature, "signature does not match")]
    [InlineData(BadToken.TamperedPayload, "signature does not match")]
    [InlineData(BadToken.AlgNone, "not signed")]
    [InlineData(BadToken.Hs256WithPublicKey, "'HS256'")]
    [InlineData(BadToken.UnknownKid, "does not publish")]
    [InlineData(BadToken.MissingSub, "'sub'")]
    public async Task Invoke_WhenTokenIsInvalid_ShouldAnswer401InvalidTokenAndNotRunTheFunction(BadToken kind, string expectedDescription)
    {
        var token = Token(kind);

        var context = await InvokeAsync("GET", "Bearer " + token);

        var response = AssertRefused(HttpStatusCode.Unauthorized);
        Assert.Null(context.TryGetCaller());
        var challenge = Assert.Single(response.Headers.GetValues("WWW-Authenticate"));
        Assert.StartsWith("Bearer error=\"invalid_token\", error_description=\"", challenge, StringComparison.Ordinal);
        Assert.Contains(expectedDescription, challenge, StringComparison.Ordinal);
        var problem = Problem(response);
        Assert.Equal("https://payments.example/problems/invalid-token", problem.GetProperty("type").GetString());
        Assert.Contains(expectedDescription, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("/api/payments", problem.GetProperty("instance").GetString());
        AssertTokenNeverLeaked(token, response);
        Assert.Contains(LogEntries, e => e.Contains("|4201|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invoke_WhenTokenLacksTheWriteScope_ShouldAnswer403InsufficientScope()
    {
        var token = issuer.Token(subject: "merchant-7", scope: "payments:read");

        await InvokeAsync("POST", "Bearer " + token);

        var response = AssertRefused(HttpStatusCode.Forbidden);
        var challenge = Assert.Single(response.Headers.GetValues("WWW-Authenticate"));
        Assert.StartsWith("Bearer error=\"insufficient_scope\", scope=\"payments:write\"", challenge, StringComparison.Ordinal);
        var problem = Problem(response);
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
        Assert.Contains("'payments:write'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        AssertTokenNeverLeaked(token, response);
        var entry = Assert.Single(LogEntries, e => e.Contains("|4202|", StringComparison.Ordinal));
        Assert.Contains(SubjectLogId.Of("merchant-7"), entry, StringComparison.Ordinal);
        Assert.DoesNotContain("merchant-7", entry, StringComparison.Ordinal);
        Assert.Contains("payments:write", entry, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_WhenTokenHasTheReadScope_ShouldRunTheFunctionWithTheCaller()
    {
        var token = issuer.Token(subject: "merchant-9", scope: "payments:read");

        var context = await InvokeAsync("GET", "Bearer " + token);

        Assert.Equal(1, nextCalls);
        Assert.Null(writtenResponse);
        var caller = context.GetCaller();
        Assert.Equal("merchant-9", caller.Subject);
        Assert.Equal(["payments:read"], caller.Scopes);
        Assert.NotNull(caller.TokenId);
        Assert.All(LogEntries, e => Assert.DoesNotContain(token.Split('.')[2], e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invoke_WhenTokenExpired_ShouldLogReasonAndSubjectHashButNeitherSubjectNorToken()
    {
        var token = issuer.Token(subject: "merchant-3", notBefore: DateTime.UtcNow.AddHours(-2), expires: DateTime.UtcNow.AddHours(-1));

        await InvokeAsync("GET", "Bearer " + token);

        var entry = Assert.Single(LogEntries, e => e.Contains("|4201|", StringComparison.Ordinal));
        Assert.Contains("Expired", entry, StringComparison.Ordinal);
        Assert.Contains(SubjectLogId.Of("merchant-3"), entry, StringComparison.Ordinal);
        Assert.DoesNotContain("merchant-3", entry, StringComparison.Ordinal);
        AssertTokenNeverLeaked(token, AssertRefused(HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task Invoke_WhenFunctionIsMarkedAnonymous_ShouldRunWithoutAToken()
    {
        var context = await InvokeAsync("GET", authorization: null, new FakeFunctionDefinition("Open", SampleFunctions.AnonymousEntryPoint));

        Assert.Equal(1, nextCalls);
        Assert.Null(writtenResponse);
        Assert.Null(context.TryGetCaller());
        Assert.Throws<InvalidOperationException>(() => context.GetCaller());
    }

    [Fact]
    public async Task Invoke_WhenFunctionIsTheHealthProbe_ShouldRunWithoutAToken()
    {
        await InvokeAsync("GET", authorization: null, new FakeFunctionDefinition(nameof(Health), typeof(Health).FullName + "." + nameof(Health.Run)));

        Assert.Equal(1, nextCalls);
        Assert.Null(writtenResponse);
    }

    [Fact]
    public async Task Invoke_WhenFunctionIsNotHttpTriggered_ShouldPassThrough()
    {
        await InvokeAsync("GET", authorization: null, new FakeFunctionDefinition("Worker", SampleFunctions.ProtectedEntryPoint, httpTrigger: false));

        Assert.Equal(1, nextCalls);
        Assert.Null(writtenResponse);
    }

    [Fact]
    public async Task Invoke_WhenMethodIsOptions_ShouldNotRequireAScope()
    {
        await InvokeAsync("OPTIONS", "Bearer " + issuer.Token(scope: null));

        Assert.Equal(1, nextCalls);
    }

    [Fact]
    public async Task Invoke_WhenSigningKeysAreUnavailable_ShouldAnswer503WithRetryAfter()
    {
        var failing = new InMemoryKeySource(issuer.Rsa) { Failure = new HttpRequestException("issuer down") };
        var unavailable = CreateMiddleware(failing);
        var context = new FakeFunctionContext(new FakeFunctionDefinition("CreatePayment", SampleFunctions.ProtectedEntryPoint), services);
        context.UseRequest("GET", "Bearer " + issuer.Token());

        await unavailable.Invoke(context, _ =>
        {
            nextCalls++;
            return Task.CompletedTask;
        });

        var response = AssertRefused(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("5", Assert.Single(response.Headers.GetValues("Retry-After")));
    }

    [Theory]
    [InlineData(SampleFunctions.ProtectedEntryPoint, false)]
    [InlineData(SampleFunctions.AnonymousEntryPoint, true)]
    [InlineData("Payments.Functions.Tests.Middleware.NoSuchType.Run", false)]
    [InlineData("NoDots", false)]
    public void IsMarkedAnonymous_WhenGivenAnEntryPoint_ShouldReadTheAttributeAndFailClosed(string entryPoint, bool expected)
    {
        Assert.Equal(expected, AuthenticationMiddleware.IsMarkedAnonymous(entryPoint));
    }

    [Fact]
    public void QuotedStringSafe_WhenValueHasQuotesBackslashesOrNonAscii_ShouldReplaceThem()
    {
        Assert.Equal("a 'b' ? ?", AuthenticationMiddleware.QuotedStringSafe("a \"b\" \\ é"));
    }
}
