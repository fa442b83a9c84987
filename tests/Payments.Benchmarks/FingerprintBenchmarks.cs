using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Idempotency.Tables;

namespace Payments.Benchmarks;

/// <summary>
/// What the request fingerprint costs over the hash it is built on: media-type parsing, JSON canonicalization (so a
/// re-serialized retry still matches) and the framed fields, against a bare SHA-256 of the same body bytes.
/// </summary>
[MemoryDiagnoser]
public class FingerprintBenchmarks
{
    private byte[] body = null!;

    /// <summary>A typical payment body, and one with the largest metadata the API accepts.</summary>
    [Params("payment", "payment-50-metadata")]
    public string Body { get; set; } = "payment";

    [GlobalSetup]
    public void Setup()
    {
        var metadata = Body == "payment"
            ? """{"order":"o-1"}"""
            : "{" + string.Join(',', Enumerable.Range(0, 50).Select(i => $"\"key{i}\":\"{new string('v', 40)}\"")) + "}";
        body = Encoding.UTF8.GetBytes($$"""{"amount":1999,"currency":"EUR","source":"tok_visa","description":"Order 1","metadata":{{metadata}}}""");
        if (RequestFingerprint.Compute("POST", "/api/v1/payments", "application/json", body).Value.Length != 64)
        {
            throw new InvalidOperationException("The fingerprint is not a SHA-256 hex string.");
        }
    }

    [Benchmark(Baseline = true, Description = "SHA256.HashData (bare, same bytes)")]
    public byte[] BareSha256() => SHA256.HashData(body);

    [Benchmark(Description = "RequestFingerprint.Compute (ours: canonical JSON + framed fields)")]
    public string Fingerprint() => RequestFingerprint.Compute("POST", "/api/v1/payments", "application/json; charset=utf-8", body).Value;
}
