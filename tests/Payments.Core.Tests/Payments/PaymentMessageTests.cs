using System.Text.Json;
using Payments.Core.Payments;
using Payments.Core.Telemetry;

namespace Payments.Core.Tests.Payments;

public sealed class PaymentMessageTests
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static readonly PaymentId Id = PaymentId.New("abc");

    [Fact]
    public void TryParse_WhenMessageCarriesAPropertyThisBuildDoesNotKnow_ShouldReadItUnderVersion1()
    {
        // What a newer writer may send while this build still drains the queue during a deployment.
        var text = $$"""{"v":1,"paymentId":"{{Id.Value}}","addedLater":{"nested":[1,2]},"another":"x"}""";

        Assert.True(PaymentMessage.TryParse(text, out var message, out var problem), problem);
        Assert.Equal(Id, message!.PaymentId);
        Assert.Null(message.TraceContext);
    }

    [Fact]
    public void TryParse_WhenMessageHasNoTraceContext_ShouldReadIt()
    {
        Assert.True(PaymentMessage.TryParse($$"""{"v":1,"paymentId":"{{Id.Value}}"}""", out var message, out _));
        Assert.Null(message!.TraceContext);
    }

    [Fact]
    public void Serialize_WhenTraceContextIsSet_ShouldRoundTripItAsOptionalW3CFields()
    {
        var context = PaymentTraceContext.Parse(TraceParent, "congo=t61rcWkgMzE");
        var text = new PaymentMessage(Id) { TraceContext = context }.Serialize();

        using var json = JsonDocument.Parse(text);
        Assert.Equal(1, json.RootElement.GetProperty("v").GetInt32());
        Assert.Equal(TraceParent, json.RootElement.GetProperty("traceparent").GetString());
        Assert.Equal("congo=t61rcWkgMzE", json.RootElement.GetProperty("tracestate").GetString());
        Assert.True(PaymentMessage.TryParse(text, out var parsed, out _));
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", parsed!.TraceContext!.Context.TraceId.ToHexString());
        Assert.Equal("congo=t61rcWkgMzE", parsed.TraceContext.TraceState);
    }

    [Fact]
    public void Serialize_WhenThereIsNoTraceContext_ShouldWriteOnlyTheVersion1Fields()
    {
        Assert.Equal($$"""{"v":1,"paymentId":"{{Id.Value}}"}""", new PaymentMessage(Id).Serialize());
    }

    [Theory]
    [InlineData("not-a-traceparent")]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra-fields-beyond-version-00")]
    public void TryParse_WhenTraceContextIsMalformed_ShouldReadThePaymentAndDropTheTrace(string traceParent)
    {
        var text = JsonSerializer.Serialize(new Dictionary<string, object> { ["v"] = 1, ["paymentId"] = Id.Value, ["traceparent"] = traceParent });

        Assert.True(PaymentMessage.TryParse(text, out var message, out var problem), problem);
        Assert.Equal(Id, message!.PaymentId);
        Assert.Null(message.TraceContext);
    }

    [Fact]
    public void TryParse_WhenVersionIsUnknown_ShouldStillRefuseIt()
    {
        Assert.False(PaymentMessage.TryParse($$"""{"v":2,"paymentId":"{{Id.Value}}"}""", out _, out var problem));
        Assert.Contains("schema version 2", problem, StringComparison.Ordinal);
    }
}
