using Functions.LocalHost.Grpc.Messages;
using Functions.LocalHost.Worker;

namespace Functions.LocalHost.Tests.Worker;

public sealed class FunctionDescriptorTests
{
    [Fact]
    public void From_WhenFunctionHasAnHttpTriggerAndReturn_ShouldDescribeAnHttpFunction()
    {
        var function = FunctionDescriptor.From(Metadata("Get",
            """{"name":"req","type":"httpTrigger","direction":"In","methods":["get"],"route":"items/{id}"}""",
            """{"name":"$return","type":"http","direction":"Out"}"""));

        Assert.Equal(TriggerKind.Http, function.Kind);
        Assert.Equal("items/{id}", function.Trigger.GetString("route"));
        Assert.Equal("$return", function.HttpOutput?.Name);
    }

    [Theory]
    [InlineData("""{"name":"blob","type":"blob","direction":"In","path":"x/{id}"}""", "input binding 'blob' of type 'blob'")]
    [InlineData("""{"name":"out","type":"queue","direction":"Out","queueName":"q"}""", "output binding 'out' of type 'queue'")]
    public void From_WhenFunctionHasAnUnsupportedBinding_ShouldRefuseNamingFunctionAndBinding(string binding, string expected)
    {
        var metadata = Metadata("Mixed", """{"name":"req","type":"httpTrigger","direction":"In"}""", binding);

        var error = Assert.Throws<InvalidOperationException>(() => FunctionDescriptor.From(metadata));

        Assert.Contains("Function 'Mixed'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_WhenTriggerTypeIsUnsupported_ShouldRefuseNamingIt()
    {
        var metadata = Metadata("OnBlob", """{"name":"b","type":"blobTrigger","direction":"In","path":"x"}""");

        var error = Assert.Throws<InvalidOperationException>(() => FunctionDescriptor.From(metadata));

        Assert.Contains("Function 'OnBlob': trigger 'b' of type 'blobTrigger'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_WhenTriggerNeedsDeferredBinding_ShouldRefuseSayingWhatToBindTo()
    {
        var metadata = Metadata("OnMessage",
            """{"name":"m","type":"queueTrigger","direction":"In","queueName":"q","properties":{"supportsDeferredBinding":"True"}}""");

        var error = Assert.Throws<InvalidOperationException>(() => FunctionDescriptor.From(metadata));

        Assert.Contains("string, byte[] or a POCO", error.Message, StringComparison.Ordinal);
    }

    private static RpcFunctionMetadata Metadata(string name, params string[] rawBindings)
    {
        var metadata = new RpcFunctionMetadata { Name = name, FunctionId = Guid.NewGuid().ToString() };
        metadata.RawBindings.AddRange(rawBindings);
        return metadata;
    }
}
