using Functions.LocalHost.Configuration;
using Functions.LocalHost.Grpc.Messages;
using Functions.LocalHost.Http;
using Functions.LocalHost.Worker;

namespace Functions.LocalHost.Tests.Http;

public sealed class HttpRouteValidationTests
{
    [Theory]
    [InlineData("admin/users")]
    [InlineData("Administration/health")]
    [InlineData("runtime/status")]
    public void Validate_WhenRouteStartsWithABuiltInPrefix_ShouldRefuseNamingTheFunction(string route)
    {
        var error = Assert.Throws<InvalidOperationException>(() => HttpTriggerEndpoints.Validate([Http("Reserved", route, "get")]));

        Assert.Contains("Function 'Reserved'", error.Message, StringComparison.Ordinal);
        Assert.Contains("built-in routes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("get", "get")]
    [InlineData("get", null)]
    [InlineData(null, "post")]
    public void Validate_WhenTwoFunctionsClaimTheSameRouteAndMethod_ShouldRefuseNamingBoth(string? first, string? second)
    {
        var error = Assert.Throws<InvalidOperationException>(() => HttpTriggerEndpoints.Validate(
            [Http("First", "items/{id}", first), Http("Second", "Items/{id}", second)]));

        Assert.Contains("Function 'Second'", error.Message, StringComparison.Ordinal);
        Assert.Contains("function 'First'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Function")]
    [InlineData("admin")]
    [InlineData("System")]
    public void Validate_WhenAFunctionAsksForKeys_ShouldRefuseBecauseThisHostDoesNotCheckThem(string authLevel)
    {
        var error = Assert.Throws<InvalidOperationException>(() => HttpTriggerEndpoints.Validate([Http("Keyed", "items", "get", authLevel)]));

        Assert.Contains("Function 'Keyed'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"authLevel '{authLevel}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Anonymous")]
    [InlineData("anonymous")]
    [InlineData(null)]
    public void Validate_WhenAFunctionIsAnonymous_ShouldAcceptIt(string? authLevel)
    {
        HttpTriggerEndpoints.Validate([Http("Open", "items", "get", authLevel)]);
    }

    [Fact]
    public void Validate_WhenTwoFunctionsShareARouteWithDifferentMethods_ShouldAcceptBoth()
    {
        HttpTriggerEndpoints.Validate([Http("Read", "items/{id}", "get"), Http("Write", "items/{id}", "put")]);
    }

    [Theory]
    [InlineData(null, 1000L)]
    [InlineData("2048", 2048L)]
    public void BodyLimit_WhenFunctionsRequestBodySizeLimitIsSetOrNot_ShouldUseItOverTheDefault(string? setting, long expected)
    {
        var values = new Dictionary<string, string>();
        if (setting is not null)
        {
            values["FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"] = setting;
        }

        var limit = HttpTriggerEndpoints.BodyLimit(AppSettings.Load(null, values, new System.Collections.Hashtable()), 1000);

        Assert.Equal(expected, limit);
    }

    [Fact]
    public void BodyLimit_WhenTheSettingIsNotANumber_ShouldRefuseNamingIt()
    {
        var settings = AppSettings.Load(null, new Dictionary<string, string> { ["FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"] = "lots" }, new System.Collections.Hashtable());

        var error = Assert.Throws<InvalidOperationException>(() => HttpTriggerEndpoints.BodyLimit(settings, 1000));

        Assert.Contains("FUNCTIONS_REQUEST_BODY_SIZE_LIMIT is 'lots'", error.Message, StringComparison.Ordinal);
    }

    private static FunctionDescriptor Http(string name, string route, string? method, string? authLevel = null)
    {
        var metadata = new RpcFunctionMetadata { Name = name, FunctionId = Guid.NewGuid().ToString() };
        var methods = method is null ? "" : $$""","methods":["{{method}}"]""";
        var level = authLevel is null ? "" : $",\"authLevel\":\"{authLevel}\"";
        metadata.RawBindings.Add($$"""{"name":"req","type":"httpTrigger","direction":"In","route":"{{route}}"{{methods}}{{level}}}""");
        metadata.RawBindings.Add("""{"name":"$return","type":"http","direction":"Out"}""");
        return FunctionDescriptor.From(metadata);
    }
}
