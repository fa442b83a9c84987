using System.Diagnostics;
using Functions.LocalHost.Grpc.Messages;
using Functions.LocalHost.Worker;

namespace Functions.LocalHost.Tests.Worker;

public sealed class InvocationFactoryTests
{
    [Fact]
    public void Create_WhenNoTraceContextIsGiven_ShouldStartANewSampledTraceForEachInvocation()
    {
        var function = FunctionDescriptor.From(QueueFunctionMetadata());

        var first = InvocationFactory.Create(function, "message", new TypedData { String = "a" });
        var second = InvocationFactory.Create(function, "message", new TypedData { String = "b" });

        var contexts = new[] { first, second }.Select(invocation => ActivityContext.Parse(invocation.TraceContext.TraceParent, null)).ToList();
        Assert.All(contexts, context =>
        {
            Assert.NotEqual(default, context.TraceId);
            Assert.Equal(ActivityTraceFlags.Recorded, context.TraceFlags);
        });
        Assert.NotEqual(contexts[0].TraceId, contexts[1].TraceId);
    }

    private static RpcFunctionMetadata QueueFunctionMetadata()
    {
        var metadata = new RpcFunctionMetadata { Name = "OnMessage", FunctionId = Guid.NewGuid().ToString() };
        metadata.RawBindings.Add("""{"name":"message","type":"queueTrigger","direction":"In","queueName":"q"}""");
        return metadata;
    }
}
