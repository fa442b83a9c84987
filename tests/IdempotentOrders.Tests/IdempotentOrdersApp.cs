using System.Reflection;
using Functions.LocalHost;
using Payments.Testing;

namespace IdempotentOrders.Tests;

/// <summary>samples/IdempotentOrders, as scripts/test.sh built it against the packed library, under the local host on Azurite.</summary>
public sealed class IdempotentOrdersApp : IAsyncLifetime
{
    public AzuriteFixture Azurite { get; } = new();

    public LocalFunctionsHost Host { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The sample's source folder.</summary>
    public static string SourceDirectory => Path.GetFullPath(Metadata("SampleDirectory"));

    public async Task InitializeAsync()
    {
        await Azurite.InitializeAsync();
        var build = Path.GetFullPath(Metadata("SampleBuildDirectory"));
        if (!File.Exists(Path.Combine(build, "IdempotentOrders.dll")))
        {
            throw new InvalidOperationException(
                $"The sample is not built in {build}. scripts/test.sh packs src/Idempotency.* into artifacts/packages and " +
                "builds samples/IdempotentOrders against them before the tests run; run the tests with it.");
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Host = await LocalFunctionsHost.StartAsync(new LocalHostOptions
        {
            AppDirectory = build,
            Settings = new Dictionary<string, string> { ["AzureWebJobsStorage"] = Azurite.ConnectionString },
        }, timeout.Token);
        Client = new HttpClient { BaseAddress = Host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        await Azurite.DisposeAsync();
    }

    private static string Metadata(string key) =>
        typeof(IdempotentOrdersApp).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(attribute => attribute.Key == key).Value!;
}
