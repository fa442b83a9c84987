using Azure.Core;
using Azure.Core.Pipeline;

namespace Payments.Testing;

/// <summary>Runs test code just before a chosen storage request goes out: how a test interleaves a competitor's write.</summary>
public sealed class RequestHookPolicy(Func<HttpMessage, bool> match, Func<Task> before, int times = 1) : HttpPipelinePolicy
{
    private readonly int _times = times;
    private int _remaining = times;

    public int Fired => Math.Min(_times, _times - Volatile.Read(ref _remaining));

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (match(message) && Interlocked.Decrement(ref _remaining) >= 0)
        {
            await before();
        }

        await ProcessNextAsync(message, pipeline);
    }
}
