using Functions.LocalHost.Configuration;
using Functions.LocalHost.Grpc.Messages;
using Functions.LocalHost.Queues;
using Functions.LocalHost.Worker;
using Microsoft.Extensions.Logging.Abstractions;

namespace Functions.LocalHost.Tests.Queues;

public sealed class QueueTriggerListenerTests
{
    [Fact]
    public void Create_WhenConnectionIsIdentityBased_ShouldFailSayingOnlyConnectionStringsWork()
    {
        var settings = AppSettings.Load(null, new Dictionary<string, string>
        {
            ["Storage:PaymentsQueue"] = "payments",
            ["PaymentsStorage__queueServiceUri"] = "https://account.queue.core.windows.net",
        });

        var error = Assert.Throws<InvalidOperationException>(() => Create(settings, "PaymentsStorage"));

        Assert.Contains("Function 'Process', binding 'message'", error.Message, StringComparison.Ordinal);
        Assert.Contains("identity-based", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WhenConnectionSettingIsMissing_ShouldFailNamingTheSetting()
    {
        var settings = AppSettings.Load(null, new Dictionary<string, string> { ["Storage:PaymentsQueue"] = "payments" });

        var error = Assert.Throws<InvalidOperationException>(() => Create(settings, "MissingStorage"));

        Assert.Contains("'MissingStorage' is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WhenQueueNameIsASettingExpression_ShouldResolveItAndNameThePoisonQueueAfterIt()
    {
        var settings = AppSettings.Load(null, new Dictionary<string, string>
        {
            ["Storage:PaymentsQueue"] = "Payments",
            ["PaymentsStorage"] = "UseDevelopmentStorage=true",
        });

        await using var listener = Create(settings, "PaymentsStorage");

        Assert.Equal("payments", listener.QueueName);
    }

    [Theory]
    [InlineData("payments", "payments-poison")]
    [InlineData("payments-poison", null)]
    [InlineData("payments-poison-poison", null)]
    [InlineData("abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-poison")]
    [InlineData("abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", null)]
    public void PoisonQueueName_WhenQueueIsAPoisonQueueOrTheSuffixWouldNotFit_ShouldBeNone(string queue, string? expected)
    {
        Assert.Equal(expected, QueueTriggerListener.PoisonQueueName(queue));
    }

    private static QueueTriggerListener Create(AppSettings settings, string connection)
    {
        var metadata = new RpcFunctionMetadata { Name = "Process", FunctionId = "1" };
        metadata.RawBindings.Add($$"""{"name":"message","type":"queueTrigger","direction":"In","queueName":"%Storage:PaymentsQueue%","connection":"{{connection}}"}""");
        return QueueTriggerListener.Create(
            FunctionDescriptor.From(metadata), supervisor: null!, settings, QueueOptions.Defaults, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(1), NullLogger.Instance);
    }
}
