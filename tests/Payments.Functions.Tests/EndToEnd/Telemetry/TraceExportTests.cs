using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Payments.Core.Payments;
using Payments.Core.Payments.Gateway;
using Payments.Core.Telemetry;
using Payments.Functions.Telemetry;
using Payments.Testing.Telemetry;

namespace Payments.Functions.Tests.EndToEnd.Telemetry;

/// <summary>The app under the local host exporting over OTLP/HTTP (protobuf) to a receiver on loopback.</summary>
public sealed class OtlpExportAppFixture : PaymentsAppFixture
{
    public OtlpReceiver Receiver { get; private set; } = null!;

    protected override void Configure(Dictionary<string, string> settings)
    {
        // Started here, before the app: Configure runs synchronously, with no synchronization context to deadlock on.
        Receiver = OtlpReceiver.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        settings[TelemetrySettings.OtlpEndpointSetting] = Receiver.Endpoint.ToString().TrimEnd('/');
        settings[TelemetrySettings.OtlpProtocolSetting] = TelemetrySettings.HttpProtobuf;
        settings["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        settings["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
        settings["Payments:SlowChargeMilliseconds"] = "3000";
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

/// <summary>
/// One trace from the POST to the charge across processes: the client's traceparent reaches the worker through the
/// host, accept stores it with the payment and in the message, and ProcessPayment's span joins it, also when the
/// worker is killed mid-charge and when the message is delivered again.
/// </summary>
public sealed class TraceExportTests(OtlpExportAppFixture fixture) : IClassFixture<OtlpExportAppFixture>
{
    private static readonly TimeSpan ExportDeadline = TimeSpan.FromSeconds(40);

    private PaymentsApp App => fixture.App;

    [Fact]
    public async Task ProcessPayment_WhenThePostCarriedATraceParent_ShouldExportItsChargeInThePostsTrace()
    {
        var (id, trace) = await PostTracedAsync(SimulatedPaymentGateway.SucceedingSource);
        await App.WaitForTerminalAsync(Token(), id);

        var process = await WaitForSpanAsync(trace, PaymentsTelemetry.Spans.Process, "succeeded");

        var spans = fixture.Receiver.Spans.Where(span => span.TraceId == trace).ToList();
        // The charge is a child of the accept span itself: the context stored with the payment and carried by its message.
        Assert.Contains(spans, span => span.Name == PaymentsTelemetry.Spans.Accept && span.SpanId == process.ParentSpanId
            && Attribute(span, PaymentsTelemetry.Attributes.PaymentId) == id);
        Assert.Contains(spans, span => span.Name == PaymentsTelemetry.Spans.GatewayCharge && span.ParentSpanId == process.SpanId);
        Assert.Contains(spans, span => span.Scope == "Microsoft.Azure.Functions.Worker");
        Assert.Contains(spans, span => span.Scope.StartsWith("Azure.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProcessPayment_WhenTheWorkerIsKilledMidCharge_ShouldExportTheRedeliveredChargeInThePostsTrace()
    {
        var (id, trace) = await PostTracedAsync(SimulatedPaymentGateway.SlowSource);
        await App.WaitForStatusAsync(Token(), id, status => status == "processing");

        await App.Host.KillWorkerAsync();
        var settled = await App.WaitForTerminalAsync(Token(), id, TimeSpan.FromSeconds(90));

        Assert.Equal("succeeded", settled.GetProperty("status").GetString());
        await WaitForSpanAsync(trace, PaymentsTelemetry.Spans.Process, "succeeded");
    }

    [Fact]
    public async Task ProcessPayment_WhenTheMessageIsDeliveredAgain_ShouldExportTheDuplicateInThePostsTrace()
    {
        var (id, trace) = await PostTracedAsync(SimulatedPaymentGateway.SucceedingSource);
        await App.WaitForTerminalAsync(Token(), id);
        var stored = await fixture.Settings.Table(fixture.Settings.Tables.PaymentsTable)
            .GetEntityAsync<TableEntity>(PaymentId.TryParse(id, out var paymentId) ? paymentId!.PartitionKey : throw new InvalidDataException(id), id);

        await fixture.Settings.SendPaymentMessageAsync(
            new PaymentMessage(paymentId) { TraceContext = PaymentEntity.TraceContextOf(stored.Value) }.Serialize());

        await WaitForSpanAsync(trace, PaymentsTelemetry.Spans.Process, "duplicate");
    }

    [Fact]
    public async Task Export_WhenPaymentsWereMade_ShouldCarryNoTokenSubjectOrIdempotencyKeyAnywhere()
    {
        var (id, trace) = await PostTracedAsync(SimulatedPaymentGateway.DecliningSource);
        await App.WaitForTerminalAsync(Token(), id);
        await WaitForSpanAsync(trace, PaymentsTelemetry.Spans.Process, "failed");
        await Eventually.TrueAsync(() => Task.FromResult(fixture.Receiver.AllReceivedText().Any(text => text.Contains(PaymentsTelemetry.Instruments.PaymentTransitions, StringComparison.Ordinal))),
            "the payment metrics were exported", ExportDeadline);

        var leaks = App.Sent.FindIn(fixture.Receiver.AllReceivedText());

        Assert.NotEmpty(App.Sent.Values);
        Assert.Empty(leaks);
    }

    private string Token() => fixture.Settings.Token();

    private async Task<(string Id, string TraceId)> PostTracedAsync(string source)
    {
        var trace = ActivityTraceId.CreateRandom().ToHexString();
        using var request = PaymentsApp.Request(HttpMethod.Post, "api/v1/payments", Token(),
            $$"""{"amount":1999,"currency":"EUR","source":"{{source}}"}""", "otel-" + Guid.NewGuid());
        request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await App.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST answered {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("id").GetString()!, trace);
    }

    private Task<OtlpSpan> WaitForSpanAsync(string trace, string name, string outcome) =>
        Eventually.ValueAsync(() =>
        {
            var span = fixture.Receiver.Spans.FirstOrDefault(span => span.TraceId == trace && span.Name == name
                && Attribute(span, PaymentsTelemetry.Attributes.Outcome) == outcome);
            return Task.FromResult((span is not null, span!));
        }, $"a '{name}' span with outcome '{outcome}' in trace {trace} was exported", ExportDeadline);

    private static string? Attribute(OtlpSpan span, string key) =>
        span.Attributes.FirstOrDefault(attribute => attribute.Key == key).Value;
}
