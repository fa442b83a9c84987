using Functions.LocalHost.Grpc.Messages;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.Grpc;

/// <summary>Worker logs (RpcLog) to the host's loggers, with the worker's level and category.</summary>
internal sealed partial class WorkerLogForwarder(ILoggerFactory loggerFactory)
{
    private const string SystemCategory = "Host.Worker.System";
    private readonly ILogger _host = loggerFactory.CreateLogger("Host.Worker");

    public void Forward(RpcLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var level = log.Level switch
        {
            RpcLog.Types.Level.Trace => LogLevel.Trace,
            RpcLog.Types.Level.Debug => LogLevel.Debug,
            RpcLog.Types.Level.Information => LogLevel.Information,
            RpcLog.Types.Level.Warning => LogLevel.Warning,
            RpcLog.Types.Level.Error => LogLevel.Error,
            RpcLog.Types.Level.Critical => LogLevel.Critical,
            _ => LogLevel.None,
        };
        if (level == LogLevel.None)
        {
            return;
        }

        // The worker's own diagnostics (JSON status at start) are for the host, not for the app's developer.
        var isSystem = log.LogCategory == RpcLog.Types.RpcLogCategory.System;
        var category = isSystem ? SystemCategory : string.IsNullOrEmpty(log.Category) ? "Function" : log.Category;
        if (isSystem && level < LogLevel.Warning)
        {
            level = LogLevel.Debug;
        }

        var logger = loggerFactory.CreateLogger(category);
        if (!logger.IsEnabled(level))
        {
            return;
        }

        var text = log.Exception is { } exception && !string.IsNullOrEmpty(exception.Message)
            ? $"{log.Message}{Environment.NewLine}{exception.Type} {exception.Message}{Environment.NewLine}{exception.StackTrace}"
            : log.Message;
        logger.Log(level, default, text, null, static (state, _) => state);
    }

    public void Unexpected(string workerId, string content) => LogUnexpected(_host, workerId, content);

    public void ConsoleLine(int processId, string line, bool isError)
    {
        if (isError)
        {
            LogConsoleError(_host, processId, line);
        }
        else
        {
            LogConsole(_host, processId, line);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Worker {WorkerId} sent {Content}, which this host does not use; ignored.")]
    private static partial void LogUnexpected(ILogger logger, string workerId, string content);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "[worker {ProcessId}] {Line}")]
    private static partial void LogConsole(ILogger logger, int processId, string line);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "[worker {ProcessId} stderr] {Line}")]
    private static partial void LogConsoleError(ILogger logger, int processId, string line);
}
