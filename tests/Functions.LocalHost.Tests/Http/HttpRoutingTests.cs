using System.Net;
using Functions.LocalHost.Tests.Infrastructure;

namespace Functions.LocalHost.Tests.Http;

[Collection(SampleAppCollection.Name)]
public sealed class HttpRoutingTests(SampleAppHost app)
{
    [Fact]
    public async Task Get_WhenSegmentIsAGuid_ShouldReachTheGuidConstrainedFunctionWithTheRouteValue()
    {
        var id = Guid.NewGuid();

        var body = await app.Client.GetStringAsync($"api/items/{id}");

        Assert.Equal($"guid:{id}", body);
    }

    [Fact]
    public async Task Get_WhenSegmentIsAnInteger_ShouldReachTheIntConstrainedFunctionWithAnIntParameter()
    {
        var body = await app.Client.GetStringAsync("api/items/21");

        Assert.Equal("int:42", body);
    }

    [Theory]
    [InlineData("api/names/abc1")]
    [InlineData("api/nothing-here")]
    [InlineData("items/21")]
    public async Task Get_WhenNoRouteOrConstraintMatches_ShouldReturn404(string path)
    {
        using var response = await app.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Get_WhenSegmentIsAlphabetic_ShouldReachTheAlphaConstrainedFunction()
    {
        var body = await app.Client.GetStringAsync("api/names/Zoe");

        Assert.Equal("alpha:Zoe", body);
    }

    [Theory]
    [InlineData("api/optional", "optional:(none)")]
    [InlineData("api/optional/7", "optional:7")]
    [InlineData("API/Optional/8", "optional:8")]
    public async Task Get_WhenOptionalParameterIsPresentOrNot_ShouldMatchTheSameFunction(string path, string expected)
    {
        var body = await app.Client.GetStringAsync(path);

        Assert.Equal(expected, body);
    }

    [Theory]
    [InlineData("POST", "api/names/Zoe")]
    [InlineData("DELETE", "api/ping")]
    [InlineData("PATCH", "api/items/21")]
    public async Task Send_WhenNoFunctionAllowsTheMethodOnThePath_ShouldReturn404NotMethodNotAllowed(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("x") };

        using var response = await app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Head_WhenFunctionDeclaresOnlyGet_ShouldReturn404()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, "api/ping");

        using var response = await app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Post_WhenAnEarlierFunctionHasThePathForGetOnly_ShouldFallThroughToTheNextFunctionThatAllowsPost()
    {
        using var response = await app.Client.PostAsync("api/items/21", new StringContent("x"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("fallback:21", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Put_WhenTwoFunctionsShareARouteWithDifferentMethods_ShouldReachTheOneDeclaringTheMethod()
    {
        using var response = await app.Client.PutAsync("api/items/21", new StringContent("x"));

        Assert.Equal("put:21", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("api/items/special", "fallback:special")]
    [InlineData("api/items/not-a-guid-or-int", "fallback:not-a-guid-or-int")]
    public async Task Get_WhenACatchAllSortsBeforeALiteralRouteByName_ShouldReachTheCatchAllAsTheRealHostDoes(string path, string expected)
    {
        var body = await app.Client.GetStringAsync(path);

        Assert.Equal(expected, body);
    }

    [Fact]
    public async Task Get_WhenFunctionReturnsNoResult_ShouldAnswer200WithAnEmptyBody()
    {
        using var response = await app.Client.GetAsync("api/no-result");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }
}
