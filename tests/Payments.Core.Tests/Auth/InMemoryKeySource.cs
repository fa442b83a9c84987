using Microsoft.IdentityModel.Tokens;
using Payments.Core.Auth;
using Payments.Testing;

namespace Payments.Core.Tests.Auth;

/// <summary>A key source in memory that counts fetches; can be made to fail or to wait.</summary>
public sealed class InMemoryKeySource : ISigningKeySource
{
    private int fetches;

    public InMemoryKeySource(params SecurityKey[] keys) => Jwks = TestIssuer.Jwks(keys);

    public string Jwks { get; set; }

    public Exception? Failure { get; set; }

    /// <summary>When set, each fetch waits for it: lets a test hold a fetch in flight.</summary>
    public TaskCompletionSource? Gate { get; set; }

    public int Fetches => Volatile.Read(ref fetches);

    public string Description => "in-memory test keys";

    public async Task<IEnumerable<SecurityKey>> FetchAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref fetches);
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (Failure is { } failure)
        {
            throw failure;
        }

        return new JsonWebKeySet(Jwks).Keys;
    }
}
