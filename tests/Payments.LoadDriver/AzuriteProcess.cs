using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Payments.LoadDriver;

/// <summary>
/// An Azurite the driver owns, started as scripts/lib/azurite.sh starts it (loopback, free ports, --loose), with a
/// persistent data folder so a stop and start keeps every table and queue: the chaos run restarts it once.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    public const string WellKnownKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly string _executable;
    private readonly int[] _ports;
    private Process? _process;

    private AzuriteProcess(string executable)
    {
        _executable = executable;
        _ports = [FreePort(), FreePort(), FreePort()];
        Location = Directory.CreateTempSubdirectory("payments-chaos-azurite").FullName;
    }

    public string Location { get; }

    public string ConnectionString => Inv.S($"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={WellKnownKey};BlobEndpoint=http://127.0.0.1:{_ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{_ports[1]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{_ports[2]}/devstoreaccount1;");

    public static async Task<AzuriteProcess> StartAsync(string executable, CancellationToken cancellationToken)
    {
        if (!File.Exists(executable))
        {
            throw new FileNotFoundException($"Azurite not found at {executable}; run 'npm ci' at the repository root first.", executable);
        }

        var azurite = new AzuriteProcess(executable);
        await azurite.StartAgainAsync(cancellationToken);
        return azurite;
    }

    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--location", Location,
            "--blobHost", "127.0.0.1", "--blobPort", Inv.S($"{_ports[0]}"),
            "--queueHost", "127.0.0.1", "--queuePort", Inv.S($"{_ports[1]}"),
            "--tableHost", "127.0.0.1", "--tablePort", Inv.S($"{_ports[2]}"),
        })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        foreach (var port in _ports)
        {
            while (!await IsOpenAsync(port, timeout.Token))
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException(Inv.S($"Azurite exited with code {_process.ExitCode} before opening port {port}."));
                }

                await Task.Delay(50, timeout.Token);
            }
        }
    }

    /// <summary>Stops Azurite gracefully (SIGTERM: it saves its data folder) and waits for it to exit.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", Inv.S($"{process.Id}") }, UseShellExecute = false }))
        {
            await kill!.WaitForExitAsync(cancellationToken);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(cancellationToken);
        }

        process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        try
        {
            Directory.Delete(Location, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> IsOpenAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
