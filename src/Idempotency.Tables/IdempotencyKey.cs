using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Idempotency.Tables;

/// <summary>
/// A client's Idempotency-Key: 1 to 255 visible ASCII characters (0x21-0x7E). The header may carry it bare
/// (<c>abc</c>) or as an RFC 8941 structured-field string (<c>"abc"</c>, with <c>\"</c> and <c>\\</c> escapes), as the
/// IETF HTTPAPI draft specifies; both forms mean the same key.
/// </summary>
public sealed class IdempotencyKey : IEquatable<IdempotencyKey>
{
    /// <summary>The request header that carries the key.</summary>
    public const string HeaderName = "Idempotency-Key";
    /// <summary>The longest key accepted, in characters.</summary>
    public const int MaxLength = 255;

    private const string Rule =
        "An Idempotency-Key is 1 to 255 visible ASCII characters (letters, digits and punctuation, no spaces), bare or as a " +
        "quoted string; a random UUID such as \"8e03978e-40d5-43e8-bc93-6894a57f9324\" is a good key.";

    private const string EscapeHint = "write \\\" for a quote and \\\\ for a backslash, or send the key bare.";

    private IdempotencyKey(string value)
    {
        Value = value;
    }

    /// <summary>The key as the client meant it (quotes and escapes removed).</summary>
    public string Value { get; }

    /// <summary>The problem message when the header is absent.</summary>
    public static string MissingMessage =>
        $"The {HeaderName} header is required on this request. Generate a unique value per logical request, for example " +
        $"'{HeaderName}: \"8e03978e-40d5-43e8-bc93-6894a57f9324\"', and send the same value again only when retrying that request.";

    /// <summary>Parses the header's value; <paramref name="error"/> says what is wrong and how to fix it.</summary>
    public static bool TryParse(string? headerValue, [NotNullWhen(true)] out IdempotencyKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (headerValue is null)
        {
            error = MissingMessage;
            return false;
        }

        // HTTP strips optional whitespace around a field value; a key itself never contains any.
        var value = headerValue.AsSpan().Trim(" \t");
        if (value.IsEmpty)
        {
            error = $"The {HeaderName} header is empty. " + Rule;
            return false;
        }

        string parsed;
        if (value[0] == '"')
        {
            if (!TryUnquote(value, out parsed!, out error))
            {
                return false;
            }
        }
        else
        {
            parsed = value.ToString();
        }

        if (parsed.Length == 0)
        {
            error = $"The {HeaderName} header holds an empty quoted string. " + Rule;
            return false;
        }

        if (parsed.Length > MaxLength)
        {
            error = string.Create(CultureInfo.InvariantCulture,
                $"The {HeaderName} is {parsed.Length} characters long; the limit is {MaxLength}. {Rule}");
            return false;
        }

        for (var i = 0; i < parsed.Length; i++)
        {
            var c = parsed[i];
            if (c is < '!' or > '~')
            {
                error = string.Create(CultureInfo.InvariantCulture,
                    $"The {HeaderName} contains {Describe(c)} at position {i + 1}. {Rule}");
                return false;
            }
        }

        key = new IdempotencyKey(parsed);
        error = null;
        return true;
    }

    /// <summary>A key of another header family (already validated and prefixed by it), so families never share a key.</summary>
    internal static IdempotencyKey OfFamily(string value) => new(value);

    /// <summary>Parses a header value, throwing <see cref="FormatException"/> with the reason when it is not a valid key.</summary>
    public static IdempotencyKey Parse(string headerValue) =>
        TryParse(headerValue, out var key, out var error) ? key : throw new FormatException(error);

    /// <summary>Keys are equal when their values are, ordinally.</summary>
    public bool Equals(IdempotencyKey? other) => other is not null && string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <summary>Keys are equal when their values are, ordinally.</summary>
    public override bool Equals(object? obj) => Equals(obj as IdempotencyKey);

    /// <summary>The ordinal hash of the value.</summary>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>The key's value.</summary>
    public override string ToString() => Value;

    // RFC 8941 sf-string: DQUOTE *( unescaped / "\" ( DQUOTE / "\" ) ) DQUOTE, and nothing after it.
    private static bool TryUnquote(ReadOnlySpan<char> value, out string? parsed, [NotNullWhen(false)] out string? error)
    {
        parsed = null;
        var builder = new StringBuilder(value.Length);
        for (var i = 1; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\')
            {
                if (i + 1 < value.Length && value[i + 1] is '"' or '\\')
                {
                    builder.Append(value[++i]);
                    continue;
                }

                error = string.Create(CultureInfo.InvariantCulture,
                    $"The quoted {HeaderName} has a backslash at position {i + 1} that escapes neither '\"' nor '\\'; in a quoted key {EscapeHint}");
                return false;
            }

            if (c == '"')
            {
                if (i != value.Length - 1)
                {
                    error = string.Create(CultureInfo.InvariantCulture,
                        $"The {HeaderName} has characters after its closing quote (position {i + 2}); send exactly one quoted key and no parameters.");
                    return false;
                }

                parsed = builder.ToString();
                error = null;
                return true;
            }

            builder.Append(c);
        }

        error = $"The {HeaderName} starts with a quote but has no closing quote; close it (\"abc\") or send the key without quotes.";
        return false;
    }

    private static string Describe(char c) => c switch
    {
        ' ' => "a space",
        < ' ' or '\u007f' => string.Create(CultureInfo.InvariantCulture, $"the control character U+{(int)c:X4}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"the non-ASCII character U+{(int)c:X4}"),
    };
}
