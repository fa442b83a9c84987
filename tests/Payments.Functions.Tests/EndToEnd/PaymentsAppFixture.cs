namespace Payments.Functions.Tests.EndToEnd;

/// <summary>One running app per test class (a class fixture): its own storage names, issuer and worker process.</summary>
public class PaymentsAppFixture : IAsyncLifetime
{
    public PaymentsAppSettings Settings { get; } = new();

    public PaymentsApp App { get; private set; } = null!;

    /// <summary>Override in a derived fixture to change settings before the app starts.</summary>
    protected virtual void Configure(Dictionary<string, string> settings)
    {
    }

    public async Task InitializeAsync()
    {
        Configure(Settings.Overrides);
        App = await PaymentsApp.StartAsync(Settings);
    }

    public virtual async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Settings.Dispose();
    }
}
