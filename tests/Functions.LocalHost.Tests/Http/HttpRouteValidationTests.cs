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

    [Fact]
    public void Validate_WhenTwoFunctionsShareARouteWithDifferentMethods_ShouldAcceptBoth()
    {
        HttpTriggerEndpoints.Validate([Http("Read", "items/{id}", "get"), Http("Write", "items/{id}", "put")]);
    }

    private static FunctionDescriptor Http(string name, string route, string? method)
    {
        var metadata = new RpcFunctionMetadata { Name = name, FunctionId = Guid.NewGuid().ToString() };
        var methods = method is null ? "" : $$""","methods":["{{method}}"]""";
        metadata.RawBindings.Add($$"""{"name":"req","type":"httpTrigger","direction":"In","route":"{{route}}"{{methods}}}""");
        metadata.RawBindings.Add("""{"name":"$return","type":"http","direction":"Out"}""");
        return FunctionDescriptor.From(metadata);
    }
}
