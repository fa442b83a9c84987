using Payments.Core.Auth;
using Payments.Functions.Middleware;

namespace Payments.Functions.Tests.Middleware;

public sealed class ScopePolicyTests
{
    [Theory]
    [InlineData("GET", PaymentScopes.Read)]
    [InlineData("head", PaymentScopes.Read)]
    [InlineData("POST", PaymentScopes.Write)]
    [InlineData("PUT", PaymentScopes.Write)]
    [InlineData("DELETE", PaymentScopes.Write)]
    [InlineData("PATCH", PaymentScopes.Write)]
    [InlineData("TRACE", PaymentScopes.Write)]
    [InlineData("OPTIONS", null)]
    public void RequiredScope_WhenMethodIsGiven_ShouldMapReadsAndWrites(string method, string? expected)
    {
        Assert.Equal(expected, ScopePolicy.RequiredScope(method));
    }

    [Fact]
    public void MissingScope_WhenCallerHasOnlyRead_ShouldAllowGetAndRefusePost()
    {
        var caller = new CallerPrincipal("merchant-1", [PaymentScopes.Read], null);

        Assert.Null(ScopePolicy.MissingScope(caller, "GET"));
        Assert.Equal(PaymentScopes.Write, ScopePolicy.MissingScope(caller, "POST"));
    }

    [Fact]
    public void MissingScope_WhenScopeDiffersOnlyInCase_ShouldRefuse()
    {
        var caller = new CallerPrincipal("merchant-1", ["PAYMENTS:READ"], null);

        Assert.Equal(PaymentScopes.Read, ScopePolicy.MissingScope(caller, "GET"));
    }
}
