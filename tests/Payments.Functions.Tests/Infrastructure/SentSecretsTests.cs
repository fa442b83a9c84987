
namespace Payments.Functions.Tests.Infrastructure;

public sealed class SentSecretsTests
{
    [Fact]
    public void FindIn_WhenALineHoldsASentSubjectKeyOrToken_ShouldReportEach()
    {
        using var issuer = new TestIssuer();
        var token = issuer.Token(subject: "merchant-leaky");
        var secrets = new SentSecrets();
        using var request = Payments.Functions.Tests.EndToEnd.PaymentsApp.Request(HttpMethod.Post, "api/v1/payments", token, "{}", "key-leaky-123");
        secrets.Record(request);

        var found = secrets.FindIn(["Authenticated merchant-leaky", "claimed key-leaky-123", "header " + token, "Authenticated subject 1f2e3d4c5b6a7980"]);

        Assert.Contains(found, f => f.StartsWith("token subject 'merchant-leaky'", StringComparison.Ordinal));
        Assert.Contains(found, f => f.StartsWith("Idempotency-Key 'key-leaky-123'", StringComparison.Ordinal));
        Assert.Contains(found, f => f.StartsWith("bearer token", StringComparison.Ordinal));
        Assert.DoesNotContain(found, f => f.EndsWith("1f2e3d4c5b6a7980", StringComparison.Ordinal));
    }
}
