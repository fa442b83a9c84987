using System.Collections.Concurrent;
using System.Threading.Channels;
using Functions.LocalHost.Grpc.Messages;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.Grpc;

/// <summary>
/// The event stream of one worker process. Everything the host sends goes through one writer loop (a gRPC response
/// stream does not allow concurrent writes); replies are matched by request_id, invocation results by invocation_id.
/// </summary>
internal sealed class WorkerConnection
{
    private readonly Channel<StreamingMessage> _outgoing = Channel.CreateUnbounded<StreamingMessage>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> _replies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationResponse>> _invocations = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly WorkerLogForwarder _logs;
    private Exception? _failure;

    public WorkerConnection(string workerId, WorkerLogForwarder logs)
    {
        WorkerId = workerId;
        _logs = logs;
    }

    public string WorkerId { get; }

    /// <summary>Completes when the worker has opened its event stream and sent StartStream.</summary>
    public Task Attached => _attached.Task;

    /// <summary>Completes when the stream is over (the worker left, or the connection was failed).</summary>
    public Task Closed => _closed.Task;

    public int PendingInvocations => _invocations.Count;

    /// <summary>Serves the stream until the worker closes it or the host shuts down.</summary>
    public async Task RunAsync(
        IAsyncStreamReader<StreamingMessage> requests,
        IServerStreamWriter<StreamingMessage> responses,
        CancellationToken cancellationToken)
    {
        _attached.TrySetResult();
        var writer = WriteLoopAsync(responses, cancellationToken);
        try
        {
            while (await requests.MoveNext(cancellationToken))
            {
                Dispatch(requests.Current);
            }

            Fail(new WorkerUnavailableException($"Worker {WorkerId} closed its event stream."));
        }
        catch (Exception exception) when (exception is IOException or global::Grpc.Core.RpcException or OperationCanceledException or InvalidOperationException)
        {
            Fail(new WorkerUnavailableException($"Worker {WorkerId} event stream broke: {exception.Message}", exception));
        }

        await writer;
    }

    /// <summary>Sends a request and waits for the message the worker answers with the same request_id.</summary>
    public async Task<StreamingMessage> RequestAsync(StreamingMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.RequestId = Guid.NewGuid().ToString();
        var reply = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _replies[message.RequestId] = reply;
        try
        {
            Send(message);
            return await reply.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            _replies.TryRemove(message.RequestId, out _);
        }
    }

    /// <summary>
    /// Sends an invocation and waits for its answer. Cancelling sends InvocationCancel and keeps waiting for the worker's
    /// answer, as the real host's channel does: the function decides how it ends; a dead worker fails the wait.
    /// </summary>
    public async Task<InvocationResponse> InvokeAsync(InvocationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var result = new TaskCompletionSource<InvocationResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _invocations[request.InvocationId] = result;
        try
        {
            Send(new StreamingMessage { RequestId = request.InvocationId, InvocationRequest = request });
            using var cancel = cancellationToken.Register(() =>
                TrySend(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = request.InvocationId } }));
            return await result.Task;
        }
        finally
        {
            _invocations.TryRemove(request.InvocationId, out _);
        }
    }

    public void Send(StreamingMessage message)
    {
        if (!_outgoing.Writer.TryWrite(message))
        {
            throw _failure ?? new WorkerUnavailableException($"Worker {WorkerId} is no longer connected.");
        }
    }

    public bool TrySend(StreamingMessage message) => _outgoing.Writer.TryWrite(message);

    /// <summary>Fails everything waiting on this worker: it is gone (crashed, killed, or its stream broke).</summary>
    public void Fail(Exception reason)
    {
        Interlocked.CompareExchange(ref _failure, reason, null);
        _outgoing.Writer.TryComplete();
        _attached.TrySetException(reason);
        foreach (var pending in _replies.Values)
        {
            pending.TrySetException(reason);
        }

        foreach (var pending in _invocations.Values)
        {
            pending.TrySetException(reason);
        }

        _closed.TrySetResult();
    }

    private async Task WriteLoopAsync(IServerStreamWriter<StreamingMessage> responses, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in _outgoing.Reader.ReadAllAsync(cancellationToken))
            {
                await responses.WriteAsync(message, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is IOException or global::Grpc.Core.RpcException or OperationCanceledException or InvalidOperationException)
        {
            Fail(new WorkerUnavailableException($"Writing to worker {WorkerId} failed: {exception.Message}", exception));
        }
    }

    private void Dispatch(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.RpcLog:
                _logs.Forward(message.RpcLog);
                break;
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                if (_invocations.TryGetValue(message.InvocationResponse.InvocationId, out var invocation))
                {
                    invocation.TrySetResult(message.InvocationResponse);
                }

                break;
            case StreamingMessage.ContentOneofCase.StartStream:
                break;
            default:
                if (_replies.TryGetValue(message.RequestId, out var reply))
                {
                    reply.TrySetResult(message);
                }
                else
                {
                    _logs.Unexpected(WorkerId, message.ContentCase.ToString());
                }

                break;
        }
    }
}

/// <summary>The worker process is gone or not connected: in-flight invocations fail with this.</summary>
public sealed class WorkerUnavailableException : Exception
{
    public WorkerUnavailableException()
    {
    }

    public WorkerUnavailableException(string message)
        : base(message)
    {
    }

    public WorkerUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
