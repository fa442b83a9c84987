using System.Diagnostics.CodeAnalysis;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Payments.Core.Storage.Diagnostics;

namespace Payments.Testing;

/// <summary>
/// Answers chosen storage requests with 400 (PropertyValueTooLarge) without sending them, the way Table Storage refuses
/// an entity over its limits: nothing is written. For proving that a refused write is a 4xx problem, never a 500.
/// </summary>
/// <param name="skip">Matching requests let through before the first refusal (a claim-first claim is a batch too).</param>
public sealed class StorageRejectionPolicy(StorageOperation operation, int times, int skip = 0) : HttpPipelinePolicy
{
    private int _skip = skip;
    private int _remaining = times;
    private int _fired;

    public int Fired => Volatile.Read(ref _fired);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (StorageOperations.Classify(message.Request) == operation && Interlocked.Decrement(ref _skip) < 0 && Interlocked.Decrement(ref _remaining) >= 0)
        {
            Interlocked.Increment(ref _fired);
            message.Response = new Refusal(message.Request.ClientRequestId);
            return ValueTask.CompletedTask;
        }

        return ProcessNextAsync(message, pipeline);
    }

    [SuppressMessage("Design", "CA1065", Justification = "Response is the SDK's abstract type.")]
    private sealed class Refusal(string clientRequestId) : Response
    {
        private static readonly byte[] Body =
            """{"odata.error":{"code":"PropertyValueTooLarge","message":{"lang":"en-US","value":"The property value exceeds the maximum allowed size (64KB)."}}}"""u8.ToArray();

        public override int Status => 400;

        public override bool IsError => true;

        public override string ReasonPhrase => "Bad Request";

        public override Stream? ContentStream { get; set; } = new MemoryStream(Body, writable: false);

        public override string ClientRequestId { get; set; } = clientRequestId;

        public override void Dispose() => ContentStream?.Dispose();

        protected override bool ContainsHeader(string name) => TryGetHeader(name, out _);

        protected override IEnumerable<HttpHeader> EnumerateHeaders()
        {
            yield return new HttpHeader("Content-Type", "application/json");
            yield return new HttpHeader("x-ms-error-code", "PropertyValueTooLarge");
        }

        protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value)
        {
            value = EnumerateHeaders().FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
            return value is not null;
        }

        protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
        {
            values = TryGetHeader(name, out var value) ? [value] : null;
            return values is not null;
        }
    }
}
