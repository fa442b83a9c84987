using Payments.Core.Auth;

namespace Payments.Core.Tests.Auth;

public sealed class ScopePolicyTests
{
    [Theory]
    [InlineData("GET", ScopePolicy.Read)]
    [InlineData("head", ScopePolicy.Read)]
    [InlineData("POST", ScopePolicy.Write)]
    [InlineData("PUT", ScopePolicy.Write)]
    [InlineData("DELETE", ScopePolicy.Write)]
    [InlineData("PATCH", ScopePolicy.Write)]
    [InlineData("TRACE", ScopePolicy.Write)]
    [InlineData("OPTIONS", null)]
    public void RequiredScope_WhenMethodIsGiven_ShouldMapReadsAndWrites(string method, string? expected)
    {
        Assert.Equal(expected, ScopePolicy.RequiredScope(method));
    }

    [Fact]
    public void MissingScope_WhenCallerHasOnlyRead_ShouldAllowGetAndRefusePost()
    {
        var caller = new CallerPrincipal("merchant-1", [ScopePolicy.Read], null);

        Assert.Null(ScopePolicy.MissingScope(caller, "GET"));
        Assert.Equal(ScopePolicy.Write, ScopePolicy.MissingScope(caller, "POST"));
    }

    [Fact]
    public void MissingScope_WhenScopeDiffersOnlyInCase_ShouldRefuse()
    {
        var caller = new CallerPrincipal("merchant-1", ["PAYMENTS:READ"], null);

        Assert.Equal(ScopePolicy.Read, ScopePolicy.MissingScope(caller, "GET"));
    }
}
