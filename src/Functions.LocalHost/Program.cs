using System.Globalization;
using System.Runtime.InteropServices;
using Functions.LocalHost;

// The local Functions host as a program: run a built isolated-worker app the way `func start` would.
//   Functions.LocalHost --app <build output folder> [--port 7071] [--settings local.settings.json]
var app = Option(args, "--app");
if (app is null || args.Contains("--help") || args.Contains("-h"))
{
    await Console.Error.WriteLineAsync(
        "Usage: Functions.LocalHost --app <the app's build output folder> [--port 7071] [--settings <local.settings.json>]");
    return 2;
}

var portText = Option(args, "--port") ?? "7071";
if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
{
    await Console.Error.WriteLineAsync($"--port '{portText}' is not a port number (0-65535; 0 picks a free one).");
    return 2;
}

using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

LocalFunctionsHost host;
try
{
    host = await LocalFunctionsHost.StartAsync(new LocalHostOptions
    {
        AppDirectory = app,
        HttpPort = port,
        LocalSettingsPath = Option(args, "--settings"),
    }, stop.Token);
}
catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or IOException or System.Text.Json.JsonException)
{
    await Console.Error.WriteLineAsync($"The host did not start: {exception.Message}");
    return 1;
}

Console.WriteLine($"Functions ({string.Join(", ", host.FunctionNames)}) ready in {host.StartupTime.TotalMilliseconds:0} ms at {host.BaseUrl}");
Console.WriteLine("Press Ctrl+C to stop.");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    // Ctrl+C or SIGTERM.
}

await host.StopAsync(CancellationToken.None);
return 0;

static string? Option(string[] arguments, string name)
{
    var index = Array.IndexOf(arguments, name);
    return index >= 0 && index + 1 < arguments.Length ? arguments[index + 1] : null;
}
