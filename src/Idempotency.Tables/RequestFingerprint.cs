using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Idempotency.Tables;

/// <summary>
/// What makes two requests "the same request" for an idempotency key: SHA-256 over the method, the route path, the
/// body's media type and the body. A JSON body is hashed in a canonical form (object properties sorted by ordinal name
/// at every depth, no insignificant whitespace, strings re-encoded one way, numbers kept as their literal text), so a
/// client that re-serializes the same document differently on retry is still recognized. Any other body, or a body
/// labelled JSON that does not parse, is hashed as raw bytes.
/// </summary>
/// <remarks>
/// The media type (without parameters such as charset) is part of the fingerprint because the same bytes sent as
/// <c>application/json</c> and as, say, <c>text/plain</c> are different requests to the server: one may be rejected
/// with 415 and the other accepted. Parameters are left out so that adding <c>; charset=utf-8</c> on a retry does not
/// turn the retry into a "different request" (JSON is UTF-8 by definition).
/// Numbers keep their literal text (1.0 and 1 differ) because a server may well read them differently (decimal scale).
/// </remarks>
public sealed record RequestFingerprint
{
    // The v1 domain tag, part of every stored fingerprint: changing it would make every record already stored a
    // "different request" (422) for its retries, so a new tag means a new version.
    private static readonly byte[] Version = "payments-idempotency-fingerprint/v1"u8.ToArray();

    private static readonly JsonDocumentOptions ParseOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    private static readonly JsonWriterOptions CanonicalWriter = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.Default,
        SkipValidation = false,
    };

    private RequestFingerprint(string value)
    {
        Value = value;
    }

    /// <summary>Lower-case hex of the SHA-256.</summary>
    public string Value { get; }

    /// <summary>A fingerprint read back from storage.</summary>
    public static RequestFingerprint FromStored(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        return new RequestFingerprint(value);
    }

    /// <summary>The fingerprint of one request: method, path, media type and (canonical) body.</summary>
    public static RequestFingerprint Compute(string method, string path, string? contentType, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(path);
        var mediaType = JsonMediaType.Of(contentType);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Version);
        AppendField(hash, Encoding.UTF8.GetBytes(method.ToUpperInvariant()));
        AppendField(hash, Encoding.UTF8.GetBytes(path));
        AppendField(hash, Encoding.UTF8.GetBytes(mediaType));
        if (JsonMediaType.IsJson(mediaType) && TryCanonicalizeJson(body, out var canonical))
        {
            AppendField(hash, "json"u8);
            AppendField(hash, canonical);
        }
        else
        {
            AppendField(hash, "raw"u8);
            AppendField(hash, body);
        }

        return new RequestFingerprint(Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>The canonical JSON text, or false when the body is not one well-formed JSON document.</summary>
    public static bool TryCanonicalizeJson(ReadOnlySpan<byte> body, out byte[] canonical)
    {
        canonical = [];
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = ParseOptions.CommentHandling, MaxDepth = ParseOptions.MaxDepth });
        try
        {
            using var document = JsonDocument.ParseValue(ref reader);
            // ParseValue stops after the first value; anything but whitespace after it makes the body not JSON.
            if (reader.BytesConsumed != body.Length && !body[(int)reader.BytesConsumed..].Trim(" \t\r\n"u8).IsEmpty)
            {
                return false;
            }

            var buffer = new ArrayBufferWriter<byte>(body.Length + 16);
            using (var writer = new Utf8JsonWriter(buffer, CanonicalWriter))
            {
                Write(document.RootElement, writer);
            }

            canonical = buffer.WrittenSpan.ToArray();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            // A string that is not valid UTF-16 once unescaped (a lone surrogate) cannot be re-encoded: hash it raw.
            return false;
        }
    }

    /// <summary>The fingerprint's hex value.</summary>
    public override string ToString() => Value;

    private static void Write(JsonElement element, Utf8JsonWriter writer)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                // OrderBy is stable, so duplicate names keep their order (and so still change the fingerprint).
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(property.Value, writer);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(item, writer);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(element.GetString());
                break;
            default:
                // Numbers (as their literal text), true, false, null.
                element.WriteTo(writer);
                break;
        }
    }

    private static void AppendField(IncrementalHash hash, ReadOnlySpan<byte> field)
    {
        // Length-prefixed so that no two different field lists produce the same byte stream.
        Span<byte> length = stackalloc byte[24];
        if (!field.Length.TryFormat(length, out var written, provider: CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("A field length did not format.");
        }

        hash.AppendData(length[..written]);
        hash.AppendData(":"u8);
        hash.AppendData(field);
    }
}
