using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Functions.LocalHost.Configuration;
using Functions.LocalHost.Grpc;
using Functions.LocalHost.Grpc.Messages;
using Functions.LocalHost.Worker;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.Queues;

/// <summary>
/// Polls one queue for one function the way the real host's queue listener does: batches, a new batch once the
/// in-flight count drops to newBatchThreshold, randomized exponential back-off up to maxPollingInterval when the
/// queue is empty, delete on success, visible again after visibilityTimeout on failure, and
/// <c>&lt;queue&gt;-poison</c> once maxDequeueCount is reached. A message being processed keeps its lease.
/// A queue whose name already ends in <c>-poison</c> (or whose poison queue name would be too long) has no poison queue,
/// as in the real QueueListenerFactory.CreatePoisonQueueReference: a failed message is not released (it reappears
/// once its lease runs out) and one past maxDequeueCount is skipped on every later delivery until it expires.
/// Stopping cancels the invocations in flight (the worker gets InvocationCancel) and then completes each as usual
/// (the real QueueListener.StopAsync cancels its execution token, not its completion token).
/// </summary>
internal sealed partial class QueueTriggerListener : IAsyncDisposable
{
    private static readonly TimeSpan MinimumPollingInterval = TimeSpan.FromMilliseconds(100);
    private readonly FunctionDescriptor _function;
    private readonly WorkerSupervisor _supervisor;
    private readonly QueueClient _queue;
    private readonly QueueClient? _poisonQueue;
    private readonly QueueClient? _rawPoisonQueue;
    private readonly QueueOptions _options;
    private readonly TimeSpan _lease;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly TimeSpan _drainTimeout;
    private readonly SemaphoreSlim _slotFreed = new(0);
    private int _inFlight;
    private Task _loop = Task.CompletedTask;

    private QueueTriggerListener(
        FunctionDescriptor function,
        WorkerSupervisor supervisor,
        QueueClient queue,
        QueueClient? poisonQueue,
        QueueClient? rawPoisonQueue,
        QueueOptions options,
        TimeSpan lease,
        TimeSpan drainTimeout,
        ILogger logger)
    {
        _drainTimeout = drainTimeout;
        _function = function;
        _supervisor = supervisor;
        _queue = queue;
        _poisonQueue = poisonQueue;
        _rawPoisonQueue = rawPoisonQueue;
        _options = options;
        _lease = lease;
        _logger = logger;
    }

    public string QueueName => _queue.Name;

    /// <summary>Resolves queue name and connection from settings; any problem names the function, binding and setting.</summary>
    public static QueueTriggerListener Create(
        FunctionDescriptor function,
        WorkerSupervisor supervisor,
        AppSettings settings,
        QueueOptions options,
        TimeSpan lease,
        TimeSpan drainTimeout,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(settings);
        var context = $"Function '{function.Name}', binding '{function.Trigger.Name}' (queueTrigger)";
        var queueName = settings.Resolve(
            function.Trigger.GetString("queueName") ?? throw new InvalidOperationException($"{context} has no queueName."),
            context).ToLowerInvariant();
        var connectionName = function.Trigger.GetString("connection") is { Length: > 0 } name
            ? settings.Resolve(name, context)
            : "AzureWebJobsStorage";
        var connection = settings.ConnectionSetting(connectionName);
        if (connection is { } found && string.IsNullOrWhiteSpace(found.Value))
        {
            throw new InvalidOperationException(
                $"{context}: the setting '{found.Setting}' is empty. The host takes connection '{connectionName}' from the " +
                $"first of ConnectionStrings:AzureWebJobs{connectionName}, AzureWebJobs{connectionName}, " +
                $"ConnectionStrings:{connectionName}, {connectionName} that exists, even when it is empty: set it to a " +
                "storage connection string or remove it.");
        }

        var connectionString = connection?.Value;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (settings.HasSection(connectionName))
            {
                throw new InvalidOperationException(
                    $"{context}: connection '{connectionName}' is identity-based (a section of settings such as " +
                    $"{connectionName}__queueServiceUri). The local host supports connection strings only: set " +
                    $"'{connectionName}' to a connection string (UseDevelopmentStorage=true for Azurite).");
            }

            throw new InvalidOperationException(
                $"{context}: the connection setting '{connectionName}' is not set. Set it to a storage connection string " +
                "(UseDevelopmentStorage=true for Azurite) in local.settings.json Values or the environment.");
        }

        var clientOptions = new QueueClientOptions
        {
            MessageEncoding = options.Base64Encoding ? QueueMessageEncoding.Base64 : QueueMessageEncoding.None,
        };
        QueueTriggerListener? listener = null;
        clientOptions.MessageDecodingFailed += args => listener!.MoveUndecodableToPoisonAsync(args);
        QueueServiceClient service;
        QueueServiceClient rawService;
        try
        {
            service = new QueueServiceClient(connectionString, clientOptions);
            rawService = new QueueServiceClient(connectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"{context}: the setting '{connectionName}' is not a valid storage connection string ({exception.Message}).", exception);
        }

        var poisonQueueName = PoisonQueueName(queueName);
        listener = new QueueTriggerListener(
            function,
            supervisor,
            service.GetQueueClient(queueName),
            poisonQueueName is null ? null : service.GetQueueClient(poisonQueueName),
            poisonQueueName is null ? null : rawService.GetQueueClient(poisonQueueName),
            options,
            lease,
            drainTimeout,
            logger);
        return listener;
    }

    /// <summary>
    /// The poison queue of <paramref name="queueName"/>, or null when it has none: the queue is itself a poison queue,
    /// or adding the suffix would make the name longer than a queue name may be (63).
    /// </summary>
    public static string? PoisonQueueName(string queueName)
    {
        ArgumentNullException.ThrowIfNull(queueName);
        const string suffix = "-poison";
        if (queueName.EndsWith(suffix, StringComparison.Ordinal) || queueName.Length + suffix.Length > 63)
        {
            return null;
        }

        return queueName + suffix;
    }

    /// <summary>The poison queue messages of this function go to, if it has one.</summary>
    public string? PoisonQueue => _poisonQueue?.Name;

    public void Start() => _loop = Task.Run(() => PollAsync(_stopping.Token));

    /// <summary>
    /// Stops polling and cancels the invocations in flight, as the real listener does at shutdown, then waits (up to the
    /// drain timeout) for the worker to answer them, completing each message by its result (a cancelled invocation
    /// usually failed: the message is released, or poisoned at maxDequeueCount).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _abort.CancelAsync();
        await _loop.WaitAsync(_drainTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_loop.IsCompleted)
        {
            // Otherwise invocations still hold these; they end when the worker is terminated.
            _stopping.Dispose();
            _abort.Dispose();
            _slotFreed.Dispose();
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        var processing = new List<Task>();
#pragma warning disable CA5394 // Jitter, not security.
        var backoff = new PollingBackoff(MinimumPollingInterval, _options.MaxPollingInterval, Random.Shared.NextDouble);
#pragma warning restore CA5394
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                while (Volatile.Read(ref _inFlight) > _options.NewBatchThreshold)
                {
                    await _slotFreed.WaitAsync(cancellationToken);
                }

                QueueMessage[] messages;
                try
                {
                    messages = (await _queue.ReceiveMessagesAsync(_options.BatchSize, _lease, cancellationToken)).Value;
                }
                catch (RequestFailedException exception) when (exception.Status == 404)
                {
                    // The real host polls a missing queue without failing; it starts working once the queue exists.
                    messages = [];
                }

                if (messages.Length == 0)
                {
                    await Task.Delay(backoff.Next(), cancellationToken);
                    continue;
                }

                backoff.Reset();
                processing.RemoveAll(task => task.IsCompleted);
                foreach (var message in messages)
                {
                    Interlocked.Increment(ref _inFlight);
                    processing.Add(Task.Run(() => ProcessAsync(message, _abort.Token), CancellationToken.None));
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Whatever goes wrong, the listener keeps polling: a dead listener would silently stop the function.
                LogPollFailed(_logger, exception, _function.Name, _queue.Name);
                await Task.Delay(backoff.Next(), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        // Messages already handed to the worker were cancelled; wait for the worker's answers.
        await Task.WhenAll(processing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken stopping)
    {
        try
        {
            var receipt = new LeaseReceipt(message.PopReceipt);
            if (message.DequeueCount > _options.MaxDequeueCount)
            {
                // Dequeued more often than allowed without completing (a worker or host died mid-way): poison now, or,
                // with no poison queue, skip it; it stays invisible for the lease and comes back until it expires.
                if (_poisonQueue is null)
                {
                    LogSkipped(_logger, _function.Name, message.MessageId, message.DequeueCount);
                    return;
                }

                await MoveToPoisonAsync(_poisonQueue, message, receipt.Current, CancellationToken.None);
                return;
            }

            using var renewal = new CancellationTokenSource();
            var renewing = RenewLeaseAsync(message, receipt, renewal.Token);
            bool succeeded;
            try
            {
                succeeded = await InvokeAsync(message, stopping);
            }
            finally
            {
                await renewal.CancelAsync();
                await renewing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (succeeded)
            {
                await _queue.DeleteMessageAsync(message.MessageId, receipt.Current, CancellationToken.None);
            }
            else if (_poisonQueue is null)
            {
                // No poison queue: the real QueueProcessor does not release the message, to avoid a fast loop.
                LogNotReleased(_logger, _function.Name, message.MessageId, message.DequeueCount);
            }
            else if (message.DequeueCount >= _options.MaxDequeueCount)
            {
                await MoveToPoisonAsync(_poisonQueue, message, receipt.Current, CancellationToken.None);
            }
            else
            {
                await _queue.UpdateMessageAsync(message.MessageId, receipt.Current, visibilityTimeout: _options.VisibilityTimeout, cancellationToken: CancellationToken.None);
            }
        }
        catch (RequestFailedException exception)
        {
            // Lost the lease (404/400 pop receipt mismatch) or storage failed: the message reappears and is retried.
            LogCompleteFailed(_logger, exception, _function.Name, message.MessageId, exception.Status);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _slotFreed.Release();
        }
    }

    private async Task<bool> InvokeAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        var text = message.Body.ToString();
        try
        {
            var response = await _supervisor.InvokeAsync(_function.Name, function =>
            {
                var request = InvocationFactory.Create(function, _function.Trigger.Name, TriggerValue(_function.Trigger, message, text));
                AddBuiltInBindingData(request.TriggerMetadata, message, text, DateTimeOffset.UtcNow);
                AddJsonProperties(request.TriggerMetadata, text);
                return request;
            }, cancellationToken);
            if (response.Result?.Status == StatusResult.Types.Status.Success)
            {
                return true;
            }

            LogInvocationFailed(_logger, _function.Name, message.MessageId, message.DequeueCount, response.Result?.Exception?.Message ?? "no details");
            return false;
        }
        catch (WorkerUnavailableException exception)
        {
            LogInvocationFailed(_logger, _function.Name, message.MessageId, message.DequeueCount, exception.Message);
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// The message as the binding's <c>dataType</c> asks: bytes for <c>binary</c>, else the text. The real host takes the
    /// trigger parameter type from it (azure-functions-host <c>GeneralScriptBindingProvider.ParseDataType</c>, used by
    /// <c>FunctionDescriptorProvider.TryParseTriggerParameter</c> through the binding's <c>DefaultType</c>).
    /// </summary>
    internal static TypedData TriggerValue(BindingDescriptor trigger, QueueMessage message, string text)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        ArgumentNullException.ThrowIfNull(message);
        return string.Equals(trigger.GetString("dataType"), "binary", StringComparison.OrdinalIgnoreCase)
            ? new TypedData { Bytes = Google.Protobuf.ByteString.CopyFrom(message.Body.ToMemory().Span) }
            : new TypedData { String = text };
    }

    /// <summary>
    /// The built-in binding data of QueueTriggerBinding <c>CreateBindingData</c>, with its replacements for dates the
    /// service left out: no expiry and no next-visible time become the maximum date, no insertion time becomes now.
    /// </summary>
    internal static void AddBuiltInBindingData(IDictionary<string, TypedData> metadata, QueueMessage message, string text, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(message);
        metadata["QueueTrigger"] = new TypedData { String = text };
        metadata["Id"] = new TypedData { String = message.MessageId };
        metadata["PopReceipt"] = new TypedData { String = message.PopReceipt };
        metadata["DequeueCount"] = new TypedData { Json = JsonSerializer.Serialize(message.DequeueCount) };
        metadata["InsertionTime"] = InvocationFactory.JsonDate(message.InsertedOn ?? now);
        metadata["ExpirationTime"] = InvocationFactory.JsonDate(message.ExpiresOn ?? DateTimeOffset.MaxValue);
        metadata["NextVisibleTime"] = InvocationFactory.JsonDate(message.NextVisibleOn ?? DateTimeOffset.MaxValue);
    }

    /// <summary>
    /// A JSON object message's top-level properties become binding data too, as in the real host, and win over the
    /// built-ins of the same name (case-insensitively, as binding data is): a message with an "id" property binds
    /// that to a parameter named id instead of the queue message id.
    /// </summary>
    internal static void AddJsonProperties(IDictionary<string, TypedData> metadata, string text)
    {
        if (text.Length == 0 || text[0] != '{')
        {
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                foreach (var existing in metadata.Keys.Where(key => string.Equals(key, property.Name, StringComparison.OrdinalIgnoreCase)).ToList())
                {
                    metadata.Remove(existing);
                }

                metadata[property.Name] = property.Value.ValueKind == JsonValueKind.String
                    ? new TypedData { String = property.Value.GetString() }
                    : new TypedData { Json = property.Value.GetRawText() };
            }
        }
    }

    private async Task RenewLeaseAsync(QueueMessage message, LeaseReceipt receipt, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(_lease / 2, cancellationToken);
            var updated = await _queue.UpdateMessageAsync(message.MessageId, receipt.Current, visibilityTimeout: _lease, cancellationToken: cancellationToken);
            receipt.Current = updated.Value.PopReceipt;
        }
    }

    private async Task MoveToPoisonAsync(QueueClient poisonQueue, QueueMessage message, string popReceipt, CancellationToken cancellationToken)
    {
        await poisonQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await poisonQueue.SendMessageAsync(message.Body, cancellationToken: cancellationToken);
        await _queue.DeleteMessageAsync(message.MessageId, popReceipt, cancellationToken);
        LogPoisoned(_logger, _function.Name, message.MessageId, message.DequeueCount, poisonQueue.Name);
    }

    /// <summary>
    /// A message that is not valid in the configured encoding (e.g. plain text while base64 is expected) can never
    /// be processed: like the real host, move it, as it is, to the poison queue.
    /// </summary>
    private async Task MoveUndecodableToPoisonAsync(QueueMessageDecodingFailedEventArgs args)
    {
        if (args.ReceivedMessage is not { } message)
        {
            return;
        }

        if (_rawPoisonQueue is null)
        {
            // Nowhere to move it: it stays invisible for the lease, like a failed message on a poison queue.
            LogSkipped(_logger, _function.Name, message.MessageId, message.DequeueCount);
            return;
        }

        await _rawPoisonQueue.CreateIfNotExistsAsync(cancellationToken: args.CancellationToken);
        await _rawPoisonQueue.SendMessageAsync(message.Body, cancellationToken: args.CancellationToken);
        await args.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, args.CancellationToken);
        LogUndecodable(_logger, _function.Name, message.MessageId, _rawPoisonQueue.Name);
    }

    /// <summary>Every visibility update changes the pop receipt; delete and release need the latest.</summary>
    private sealed class LeaseReceipt(string popReceipt)
    {
        private string _current = popReceipt;

        public string Current
        {
            get => Volatile.Read(ref _current);
            set => Volatile.Write(ref _current, value);
        }
    }

    [LoggerMessage(EventId = 50, Level = LogLevel.Warning, Message = "Function {FunctionName}: polling queue {QueueName} failed; backing off.")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, string functionName, string queueName);

    [LoggerMessage(EventId = 51, Level = LogLevel.Error, Message = "Function {FunctionName} failed on message {MessageId} (dequeue count {DequeueCount}): {Reason}")]
    private static partial void LogInvocationFailed(ILogger logger, string functionName, string messageId, long dequeueCount, string reason);

    [LoggerMessage(EventId = 52, Level = LogLevel.Warning, Message = "Function {FunctionName}: message {MessageId} reached dequeue count {DequeueCount} and was moved to {PoisonQueue}.")]
    private static partial void LogPoisoned(ILogger logger, string functionName, string messageId, long dequeueCount, string poisonQueue);

    [LoggerMessage(EventId = 54, Level = LogLevel.Warning, Message = "Function {FunctionName}: message {MessageId} is not in the configured messageEncoding and was moved to {PoisonQueue} as it is.")]
    private static partial void LogUndecodable(ILogger logger, string functionName, string messageId, string poisonQueue);

    [LoggerMessage(EventId = 55, Level = LogLevel.Warning, Message = "Function {FunctionName}: queue has no poison queue; failed message {MessageId} (dequeue count {DequeueCount}) is not released and reappears when its lease runs out.")]
    private static partial void LogNotReleased(ILogger logger, string functionName, string messageId, long dequeueCount);

    [LoggerMessage(EventId = 56, Level = LogLevel.Warning, Message = "Function {FunctionName}: queue has no poison queue; message {MessageId} (dequeue count {DequeueCount}) is skipped until it expires.")]
    private static partial void LogSkipped(ILogger logger, string functionName, string messageId, long dequeueCount);

    [LoggerMessage(EventId = 53, Level = LogLevel.Warning, Message = "Function {FunctionName}: completing message {MessageId} failed with status {Status}; it will be retried when it becomes visible.")]
    private static partial void LogCompleteFailed(ILogger logger, Exception exception, string functionName, string messageId, int status);
}
