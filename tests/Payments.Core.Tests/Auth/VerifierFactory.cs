using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Payments.Core.Auth;

namespace Payments.Core.Tests.Auth;

internal static class VerifierFactory
{
    public static JwtOptions Options() => new()
    {
        Issuer = TestIssuer.Issuer,
        Audience = TestIssuer.Audience,
        SigningKeysPath = "unused-in-tests.json",
    };

    public static SigningKeyCache Cache(ISigningKeySource source, TimeProvider? time = null, JwtOptions? options = null) =>
        new(source, Microsoft.Extensions.Options.Options.Create(options ?? Options()), time ?? TimeProvider.System, NullLogger<SigningKeyCache>.Instance);

    public static TokenVerifier Verifier(SigningKeyCache cache, JwtOptions? options = null) =>
        new(cache, Microsoft.Extensions.Options.Options.Create(options ?? Options()));

    public static TokenVerifier Verifier(ISigningKeySource source, TimeProvider? time = null) => Verifier(Cache(source, time));
}
