using Functions.LocalHost.Grpc.Messages;
using Functions.LocalHost.Worker;

namespace Functions.LocalHost.Tests;

public sealed class LocalFunctionsHostTests
{
    [Fact]
    public void InRealHostOrder_WhenNamesDifferInCase_ShouldSortByNameIgnoringCaseAsFunctionMetadataManager()
    {
        var functions = new[] { "beta", "Zeta", "apple", "Alpha", "alpha2" }.Select(Function);

        var ordered = LocalFunctionsHost.InRealHostOrder(functions).Select(function => function.Name);

        // Ordinal order would put every upper-case name first: Alpha, Zeta, alpha2, apple, beta.
        Assert.Equal(["Alpha", "alpha2", "apple", "beta", "Zeta"], ordered);
    }

    private static FunctionDescriptor Function(string name)
    {
        var metadata = new RpcFunctionMetadata { Name = name, FunctionId = name };
        metadata.RawBindings.Add("""{"name":"req","type":"httpTrigger","direction":"In","methods":["get"]}""");
        return FunctionDescriptor.From(metadata);
    }
}
