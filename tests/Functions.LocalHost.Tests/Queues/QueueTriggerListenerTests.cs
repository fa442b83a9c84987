using System.Text.Json;
using Azure.Storage.Queues.Models;
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
    public void Create_WhenThePrefixedConnectionSettingIsEmpty_ShouldFailNamingItEvenThoughThePlainOneIsSet()
    {
        var settings = AppSettings.Load(null, new Dictionary<string, string>
        {
            ["Storage:PaymentsQueue"] = "payments",
            ["AzureWebJobsPaymentsStorage"] = string.Empty,
            ["PaymentsStorage"] = "UseDevelopmentStorage=true",
        });

        var error = Assert.Throws<InvalidOperationException>(() => Create(settings, "PaymentsStorage"));

        Assert.Contains("'AzureWebJobsPaymentsStorage' is empty", error.Message, StringComparison.Ordinal);
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

    [Theory]
    [InlineData(@"""dataType"":""binary"",", true)]
    [InlineData(@"""dataType"":""Binary"",", true)]
    [InlineData(@"""dataType"":""string"",", false)]
    [InlineData("", false)]
    public void TriggerValue_WhenBindingDeclaresADataType_ShouldSendTheMessageAsThatType(string dataType, bool asBytes)
    {
        var metadata = new RpcFunctionMetadata { Name = "Process", FunctionId = "1" };
        metadata.RawBindings.Add($$"""{{{dataType}}"name":"message","type":"queueTrigger","direction":"In","queueName":"q"}""");
        var body = new byte[] { 0xff, 0x00, 0x41 };
        var message = QueuesModelFactory.QueueMessage("id-1", "pop", new BinaryData(body), 1);

        var value = QueueTriggerListener.TriggerValue(FunctionDescriptor.From(metadata).Trigger, message, message.Body.ToString());

        if (asBytes)
        {
            Assert.Equal(TypedData.DataOneofCase.Bytes, value.DataCase);
            Assert.Equal(body, value.Bytes.ToByteArray());
        }
        else
        {
            Assert.Equal(TypedData.DataOneofCase.String, value.DataCase);
            Assert.Equal(message.Body.ToString(), value.String);
        }
    }

    [Fact]
    public void AddBuiltInBindingData_WhenTheServiceLeftDatesOut_ShouldReplaceThemAsTheRealHostDoes()
    {
        var now = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero);
        var message = QueuesModelFactory.QueueMessage("id-1", "pop", new BinaryData("text"u8.ToArray()), 2, nextVisibleOn: null, insertedOn: null, expiresOn: null);
        var metadata = new Dictionary<string, TypedData>();

        QueueTriggerListener.AddBuiltInBindingData(metadata, message, "text", now);

        Assert.Equal(JsonSerializer.Serialize(now), metadata["InsertionTime"].Json);
        Assert.Equal(JsonSerializer.Serialize(DateTimeOffset.MaxValue), metadata["ExpirationTime"].Json);
        Assert.Equal(JsonSerializer.Serialize(DateTimeOffset.MaxValue), metadata["NextVisibleTime"].Json);
        Assert.DoesNotContain(metadata.Values, value => value.Json == "null");
        Assert.Equal("2", metadata["DequeueCount"].Json);
        Assert.Equal("id-1", metadata["Id"].String);
    }

    [Fact]
    public void AddBuiltInBindingData_WhenTheServiceGaveDates_ShouldSendThemUnchanged()
    {
        var inserted = new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero);
        var message = QueuesModelFactory.QueueMessage("id-1", "pop", new BinaryData("text"u8.ToArray()), 1,
            nextVisibleOn: inserted.AddMinutes(10), insertedOn: inserted, expiresOn: inserted.AddDays(7));
        var metadata = new Dictionary<string, TypedData>();

        QueueTriggerListener.AddBuiltInBindingData(metadata, message, "text", inserted.AddHours(5));

        Assert.Equal(JsonSerializer.Serialize(inserted), metadata["InsertionTime"].Json);
        Assert.Equal(JsonSerializer.Serialize(inserted.AddDays(7)), metadata["ExpirationTime"].Json);
        Assert.Equal(JsonSerializer.Serialize(inserted.AddMinutes(10)), metadata["NextVisibleTime"].Json);
    }

    private static QueueTriggerListener Create(AppSettings settings, string connection)
    {
        var metadata = new RpcFunctionMetadata { Name = "Process", FunctionId = "1" };
        metadata.RawBindings.Add($$"""{"name":"message","type":"queueTrigger","direction":"In","queueName":"%Storage:PaymentsQueue%","connection":"{{connection}}"}""");
        return QueueTriggerListener.Create(
            FunctionDescriptor.From(metadata), supervisor: null!, settings, QueueOptions.Defaults, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(1), NullLogger.Instance);
    }
}
