using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Payments.Functions.Tests.Infrastructure;

/// <summary>
/// Every bearer token, token subject and Idempotency-Key a test sent through an app's client. At the end of the app's
/// life its captured logs (host and worker) are searched for each: none may ever be written.
/// </summary>
public sealed class SentSecrets
{
    /// <summary>Shorter values ("k1", "a") occur by chance in ids and hashes; every real test value is longer.</summary>
    public const int MinLength = 6;

    private readonly ConcurrentDictionary<string, string> _values = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Values => _values;

    public void Record(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers.TryGetValues("Idempotency-Key", out var keys))
        {
            foreach (var key in keys)
            {
                Add(key, "Idempotency-Key");
            }
        }

        if (request.Headers.Authorization is { Scheme: var scheme, Parameter: { } token } && scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            Add(token, "bearer token");
            var parts = token.Split('.');
            foreach (var part in parts.Where(p => p.Length >= 16))
            {
                Add(part, "part of a bearer token");
            }

            if (parts.Length == 3 && Subject(parts[1]) is { } subject)
            {
                Add(subject, "token subject");
            }
        }
    }

    /// <summary>The log lines that contain a sent value, each with what it was.</summary>
    public IReadOnlyList<string> FindIn(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var found = new List<string>();
        foreach (var line in lines)
        {
            foreach (var (value, kind) in _values)
            {
                if (line.Contains(value, StringComparison.Ordinal))
                {
                    found.Add($"{kind} '{value}' in: {line}");
                }
            }
        }

        return found;
    }

    private void Add(string value, string kind)
    {
        if (value.Length >= MinLength)
        {
            _values.TryAdd(value, kind);
        }
    }

    private static string? Subject(string payload)
    {
        try
        {
            using var document = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(payload));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String ? sub.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Records every request on its way out.</summary>
    public sealed class RecordingHandler(SentSecrets secrets) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            secrets.Record(request);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
