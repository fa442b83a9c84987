using System.Net;
using Functions.LocalHost.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.Tests;

/// <summary>The payments app runs under the local host as built, with no code written for it.</summary>
public sealed class PaymentsAppTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Health_WhenPaymentsAppRunsUnderTheLocalHost_ShouldAnswer200()
    {
        using var loggerFactory = ListLoggerProvider.CreateFactory(out _);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var host = await LocalFunctionsHost.StartAsync(new LocalHostOptions
        {
            AppDirectory = AppDirectories.PaymentsApp,
            Settings = new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = azurite.ConnectionString,
                ["PaymentsStorage"] = azurite.ConnectionString,
                ["Storage:PaymentsQueue"] = AzuriteFixture.UniqueName("payments-"),
                ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = string.Empty,
            },
            LoggerFactory = loggerFactory,
        }, timeout.Token);
        using var client = new HttpClient { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };

        using var response = await client.GetAsync("api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("healthy", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
