using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Functions.LocalHost.Worker;

/// <summary>How to start the app's worker: from worker.config.json, with the real host's arguments and environment.</summary>
internal sealed record WorkerLaunch(string AppDirectory, string Executable, string WorkerPath)
{
    public static WorkerLaunch From(string appDirectory)
    {
        var directory = Path.GetFullPath(appDirectory);
        var configPath = Path.Combine(directory, "worker.config.json");
        if (!File.Exists(configPath))
        {
            throw new InvalidOperationException(
                $"'{directory}' has no worker.config.json: it is not the build output of a .NET isolated Functions app. " +
                "Build the app (dotnet build) and pass its bin/<configuration>/<framework> folder.");
        }

        using var document = JsonDocument.Parse(File.ReadAllText(configPath));
        var description = Configuration.HostJson.Property(document.RootElement, "description")
            ?? throw new InvalidOperationException($"{configPath} has no 'description' section.");
        var executable = Configuration.HostJson.Property(description, "defaultExecutablePath")?.GetString() ?? "dotnet";
        var workerPath = Configuration.HostJson.Property(description, "defaultWorkerPath")?.GetString()
            ?? throw new InvalidOperationException($"{configPath} has no description.defaultWorkerPath.");
        workerPath = Path.Combine(directory, workerPath);
        if (!File.Exists(workerPath))
        {
            throw new InvalidOperationException($"The worker '{workerPath}' named in {configPath} does not exist; rebuild the app.");
        }

        return new WorkerLaunch(directory, executable, workerPath);
    }

    public ProcessStartInfo CreateStartInfo(Uri grpcUri, string workerId, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(grpcUri);
        ArgumentNullException.ThrowIfNull(environment);
        var startInfo = new ProcessStartInfo
        {
            FileName = ResolveExecutable(Executable),
            WorkingDirectory = AppDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        startInfo.ArgumentList.Add(WorkerPath);
        startInfo.ArgumentList.Add("--functions-uri");
        startInfo.ArgumentList.Add(grpcUri.ToString());
        startInfo.ArgumentList.Add("--functions-worker-id");
        startInfo.ArgumentList.Add(workerId);
        startInfo.ArgumentList.Add("--functions-request-id");
        startInfo.ArgumentList.Add(Guid.NewGuid().ToString());
        // Without it the worker's message size limit is 0 and its first message fails with ResourceExhausted.
        startInfo.ArgumentList.Add("--functions-grpc-max-message-length");
        startInfo.ArgumentList.Add(int.MaxValue.ToString(CultureInfo.InvariantCulture));

        startInfo.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        // What the real host (and Core Tools) sets for a worker; without FUNCTIONS_APPLICATION_DIRECTORY loading fails.
        startInfo.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = AppDirectory;
        startInfo.Environment["FUNCTIONS_WORKER_DIRECTORY"] = AppDirectory;
        startInfo.Environment["AzureWebJobsScriptRoot"] = AppDirectory;
        startInfo.Environment.TryAdd("FUNCTIONS_WORKER_RUNTIME", "dotnet-isolated");
        startInfo.Environment.TryAdd("AZURE_FUNCTIONS_ENVIRONMENT", "Development");
        return startInfo;
    }

    /// <summary>"dotnet" means the muxer that runs this host when it is known, so both use the same runtime.</summary>
    private static string ResolveExecutable(string executable)
    {
        if (!string.Equals(executable, "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return executable;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        return Environment.ProcessPath is { } processPath &&
               Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? processPath
            : executable;
    }
}
