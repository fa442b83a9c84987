using Azure.Core;
using Azure.Core.Pipeline;

namespace Payments.Testing;

/// <summary>
/// The strict storage guard for in-process tests: every request a storage client sends passes
/// <see cref="StorageGuard.Inspect"/>; a cross-partition table query or batch throws <see cref="StorageGuardViolationException"/>
/// instead of going out. A test's own look at the table (asserting what was written) runs inside
/// <see cref="InspectionByTest"/>, which counts but does not judge.
/// </summary>
public sealed class StrictStoragePolicy(StorageGuard guard) : HttpPipelinePolicy
{
    private static readonly AsyncLocal<bool> TestIsInspecting = new();

    public StorageGuard Guard => guard;

    /// <summary>Marks the storage calls made until disposal as the test's own inspection, not the code under test's.</summary>
    public static IDisposable InspectionByTest()
    {
        var previous = TestIsInspecting.Value;
        TestIsInspecting.Value = true;
        return new Restore(previous);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Check(message);
        ProcessNext(message, pipeline);
        Record(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Check(message);
        await ProcessNextAsync(message, pipeline);
        Record(message);
    }

    private void Check(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var uri = message.Request.Uri;
        if (guard.Inspect(message.Request.Method.Method, uri.Path, uri.Query, TestIsInspecting.Value, BatchBody(message.Request)) is { } violation)
        {
            throw new StorageGuardViolationException(violation);
        }
    }

    /// <summary>A batch's multipart body, which the guard reads for its partitions; nothing for other requests.</summary>
    private static ReadOnlyMemory<byte> BatchBody(Request request)
    {
        if (request.Content is null || StorageOperations.Classify(request) != StorageOperation.TableBatch)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        using var buffer = new MemoryStream();
        request.Content.WriteTo(buffer, CancellationToken.None); // the SDK's batch content is rewritable: retries send it again
        return buffer.ToArray();
    }

    private void Record(HttpMessage message)
    {
        if (!TestIsInspecting.Value && message.HasResponse && message.Response.Status == 200
            && StorageOperations.Classify(message.Request) == StorageOperation.TableQuery && message.Response.ContentStream is { CanSeek: true })
        {
            guard.RecordQueryAnswer(message.Response.Content.ToMemory().Span);
        }
    }

    private sealed class Restore(bool previous) : IDisposable
    {
        public void Dispose() => TestIsInspecting.Value = previous;
    }
}
