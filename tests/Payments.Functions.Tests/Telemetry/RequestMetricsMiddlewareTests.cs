using Microsoft.Extensions.DependencyInjection;
using Payments.Core.Telemetry;
using Payments.Functions.Middleware;
using Payments.Functions.Tests.Infrastructure;
using Payments.Testing.Telemetry;

namespace Payments.Functions.Tests.Telemetry;

[Collection(TelemetryCollection.Name)]
public sealed class RequestMetricsMiddlewareTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    [Theory]
    [InlineData("/api/v1/payments", "v1/payments")]
    [InlineData("/api/v1/payments/pay_abc0123456789abcdef0123456789abcdef", "v1/payments/{id}")]
    [InlineData("/api/v1/customers/cus_1/", "v1/customers/{id}")]
    [InlineData("/api/v2/unknown", RequestMetricsMiddleware.UnmatchedRoute)]
    [InlineData("/elsewhere", RequestMetricsMiddleware.UnmatchedRoute)]
    public void RouteOf_WhenGivenAPath_ShouldNameItsRouteTemplateNeverTheIds(string path, string expected)
    {
        Assert.Equal(expected, RequestMetricsMiddleware.RouteOf(path));
    }

    [Fact]
    public async Task Invoke_WhenRequestsAreAnswered_ShouldCountThemByRouteMethodAndStatus()
    {
        using var telemetry = new TelemetryCapture(PaymentsTelemetry.Name);

        await InvokeAsync("POST", "/api/v1/payments", status: 202);
        await InvokeAsync("POST", "/api/v1/payments", status: 202);
        await InvokeAsync("GET", "/api/v1/payments/pay_abc0123456789abcdef0123456789abcdef", status: 404);
        await Assert.ThrowsAsync<InvalidOperationException>(() => InvokeAsync("GET", "/api/health", status: null, fail: true));

        Assert.Equal(2, Total(telemetry, "v1/payments", "POST", 202));
        Assert.Equal(1, Total(telemetry, "v1/payments/{id}", "GET", 404));
        Assert.Equal(1, Total(telemetry, "health", "GET", 500));
        Assert.Equal(4, telemetry.Total(PaymentsTelemetry.Instruments.HttpRequests));
    }

    private static double Total(TelemetryCapture telemetry, string route, string method, int status) =>
        telemetry.Total(PaymentsTelemetry.Instruments.HttpRequests,
            (PaymentsTelemetry.Attributes.HttpRoute, route), (PaymentsTelemetry.Attributes.HttpMethod, method), (PaymentsTelemetry.Attributes.HttpStatusCode, status));

    private async Task InvokeAsync(string method, string path, int? status, bool fail = false)
    {
        var context = new FakeFunctionContext(new FakeFunctionDefinition("Any", "Any.Run"), _services);
        context.UseRequest(method, authorization: null, path);
        var middleware = new RequestMetricsMiddleware { StatusOf = _ => status };
        await middleware.Invoke(context, _ => fail ? throw new InvalidOperationException("unexpected") : Task.CompletedTask);
    }
}
