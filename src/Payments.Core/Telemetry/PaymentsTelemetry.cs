using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Payments.Core.Telemetry;

/// <summary>
/// The app's one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named <see cref="Name"/>, with every span
/// name and instrument the app emits (docs/observability.md lists them with their units and attributes). Attributes
/// carry ids and outcomes only: never a token, a key, an email or a caller's subject.
/// </summary>
public static class PaymentsTelemetry
{
    /// <summary>The name of the activity source and of the meter; what an exporter subscribes to.</summary>
    public const string Name = "Payments";

    public static readonly ActivitySource Source = new(Name, "1.0.0");

    public static readonly Meter Meter = new(Name, "1.0.0");

    /// <summary>Span names: one per unit of work, the operation first, stable across versions.</summary>
    public static class Spans
    {
        public const string Accept = "payment accept";
        public const string Process = "payment process";
        public const string Settle = "payment settle";
        public const string Requeue = "payment requeue";
        public const string GatewayCharge = "gateway charge";
        public const string GatewayVoid = "gateway void";
        public const string GatewayRefund = "gateway refund";
    }

    /// <summary>Attribute names the app puts on spans and measurements.</summary>
    public static class Attributes
    {
        public const string PaymentId = "payment.id";
        public const string Outcome = "payments.outcome";
        public const string StatusFrom = "payments.status.from";
        public const string StatusTo = "payments.status.to";
        public const string Reason = "payments.reason";
        public const string Queue = "messaging.destination.name";
        public const string HttpRoute = "http.route";
        public const string HttpMethod = "http.request.method";
        public const string HttpStatusCode = "http.response.status_code";
    }

    /// <summary>Instrument names, as docs/observability.md lists them.</summary>
    public static class Instruments
    {
        public const string HttpRequests = "payments.http.requests";
        public const string PaymentTransitions = "payments.payment.transitions";
        public const string ChargeDuration = "payments.gateway.charge.duration";
        public const string SweeperRequeues = "payments.sweeper.requeues";
        public const string PoisonSettles = "payments.poison.settles";
        public const string DeadLetters = "payments.deadletters";
        public const string TokenFailures = "payments.auth.token.failures";
        public const string KeyRefreshes = "payments.auth.key.refreshes";
    }

    /// <summary>Answered HTTP requests, by route template, method and status code (recorded by the worker middleware).</summary>
    public static readonly Counter<long> HttpRequests =
        Meter.CreateCounter<long>(Instruments.HttpRequests, "{request}", "HTTP requests answered, by route template, method and status code.");

    public static readonly Counter<long> PaymentTransitions =
        Meter.CreateCounter<long>(Instruments.PaymentTransitions, "{transition}", "Payment state changes that landed, by from and to status (from 'none' when accepted).");

    public static readonly Histogram<double> ChargeDuration =
        Meter.CreateHistogram<double>(Instruments.ChargeDuration, "s", "Time a gateway charge took, by outcome: charged, replayed, declined, voided, unavailable.");

    public static readonly Counter<long> SweeperRequeues =
        Meter.CreateCounter<long>(Instruments.SweeperRequeues, "{message}", "Payments the outbox completer found pending without a message and enqueued again.");

    public static readonly Counter<long> PoisonSettles =
        Meter.CreateCounter<long>(Instruments.PoisonSettles, "{payment}", "Payments settled from the poison queue without charging, by the status they were settled as.");

    public static readonly Counter<long> DeadLetters =
        Meter.CreateCounter<long>(Instruments.DeadLetters, "{message}", "Queue messages parked in the dead-letter table because no version could read them.");

    public static readonly Counter<long> TokenFailures =
        Meter.CreateCounter<long>(Instruments.TokenFailures, "{request}", "Bearer tokens refused, by reason.");

    public static readonly Counter<long> KeyRefreshes =
        Meter.CreateCounter<long>(Instruments.KeyRefreshes, "{refresh}", "Signing key set fetches, by outcome: loaded, failed.");

    internal static void RecordTransition(string from, string to) =>
        PaymentTransitions.Add(1, new(Attributes.StatusFrom, from), new(Attributes.StatusTo, to));

    /// <summary>
    /// A span for work a queue message or a timer asked for on behalf of a payment: a child of the trace context stored
    /// with the payment (the request that accepted it), linked to the invocation's own span, which belongs to a trace
    /// the host started. Without a stored context it is simply a child of the invocation.
    /// </summary>
    internal static Activity? StartPaymentWork(string name, ActivityKind kind, string paymentId, PaymentTraceContext? stored)
    {
        var invocation = Activity.Current;
        var span = stored is null || invocation?.TraceId == stored.Context.TraceId
            ? Source.StartActivity(name, kind)
            : Source.StartActivity(name, kind, stored.Context, links: invocation is null ? null : [new ActivityLink(invocation.Context)]);
        span?.SetTag(Attributes.PaymentId, paymentId);
        return span;
    }

    /// <summary>A client span around one call to the payment gateway, failed (with the exception's type only) when it throws.</summary>
    internal static async Task<T> TraceGatewayAsync<T>(string name, string paymentId, Func<Task<T>> call)
    {
        using var span = Source.StartActivity(name, ActivityKind.Client);
        span?.SetTag(Attributes.PaymentId, paymentId);
        try
        {
            return await call();
        }
        catch (Exception ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }
    }

    /// <summary>Marks a span failed with the exception's type (its message may carry data that is not ours to export).</summary>
    internal static void Fail(Activity? span, Exception exception) => span?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
}
