using System.Collections.Concurrent;
using Functions.LocalHost.Grpc.Messages;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.Grpc;

/// <summary>Workers this host started and is waiting for, by the worker id it gave them on the command line.</summary>
internal sealed class WorkerConnectionRegistry
{
    private readonly ConcurrentDictionary<string, WorkerConnection> _expected = new(StringComparer.Ordinal);

    public void Expect(WorkerConnection connection) => _expected[connection.WorkerId] = connection;

    public void Forget(string workerId) => _expected.TryRemove(workerId, out _);

    public WorkerConnection? Claim(string workerId) => _expected.TryRemove(workerId, out var connection) ? connection : null;
}

/// <summary>The host side of FunctionRpc.EventStream: the worker connects, says StartStream, and the stream is its own.</summary>
internal sealed partial class FunctionRpcService(WorkerConnectionRegistry registry, ILogger<FunctionRpcService> logger)
    : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(
        IAsyncStreamReader<StreamingMessage> requestStream,
        IServerStreamWriter<StreamingMessage> responseStream,
        ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            return;
        }

        var first = requestStream.Current;
        if (first.ContentCase != StreamingMessage.ContentOneofCase.StartStream)
        {
            LogNoStartStream(logger, first.ContentCase.ToString());
            return;
        }

        var connection = registry.Claim(first.StartStream.WorkerId);
        if (connection is null)
        {
            LogUnknownWorker(logger, first.StartStream.WorkerId);
            return;
        }

        await connection.RunAsync(requestStream, responseStream, context.CancellationToken);
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "A worker opened the event stream with {Content} instead of StartStream; closed.")]
    private static partial void LogNoStartStream(ILogger logger, string content);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Worker {WorkerId} is not one this host started; its stream was closed.")]
    private static partial void LogUnknownWorker(ILogger logger, string workerId);
}
