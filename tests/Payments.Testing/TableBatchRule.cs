using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Payments.Testing;

/// <summary>
/// One entity group transaction acts on one partition. Azure answers a <c>$batch</c> whose operations span partitions
/// with 400 <c>CommandsInBatchActOnDifferentPartitions</c>; Azurite carries it out. Reads the multipart body: each
/// operation's partition comes from its entity address (<c>(PartitionKey='p',RowKey='r')</c>) or, for an insert, from
/// the entity it sends.
/// </summary>
public static partial class TableBatchRule
{
    /// <summary>Null when every operation of the batch acts on one partition; otherwise why not.</summary>
    public static string? Check(ReadOnlySpan<byte> multipartBody)
    {
        var text = Encoding.UTF8.GetString(multipartBody);
        var partitions = new List<string>();
        var operations = 0;
        foreach (Match line in RequestLine().Matches(text))
        {
            operations++;
            var partition = PartitionOfAddress(Uri.UnescapeDataString(line.Groups["url"].Value)) ?? PartitionOfEntity(text, line.Index + line.Length);
            if (partition is null)
            {
                return $"operation {operations} of the batch ({line.Groups["method"].Value}) names no PartitionKey";
            }

            if (!partitions.Contains(partition, StringComparer.Ordinal))
            {
                partitions.Add(partition);
            }
        }

        return partitions.Count <= 1 ? null
            : $"its {operations} operations act on {partitions.Count} partitions ({string.Join(", ", partitions.Select(p => "'" + p + "'"))}); "
              + "Azure refuses such a batch with 400 CommandsInBatchActOnDifferentPartitions (Azurite accepts it)";
    }

    private static string? PartitionOfAddress(string url)
    {
        var match = AddressPartition().Match(url);
        return match.Success ? match.Groups["key"].Value.Replace("''", "'", StringComparison.Ordinal) : null;
    }

    private static string? PartitionOfEntity(string text, int afterRequestLine)
    {
        var blank = BlankLine().Match(text, afterRequestLine);
        if (!blank.Success)
        {
            return null;
        }

        var start = blank.Index + blank.Length;
        var end = text.IndexOf("\n--", start, StringComparison.Ordinal);
        var json = (end < 0 ? text[start..] : text[start..end]).Trim();
        if (json.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("PartitionKey", out var key) && key.ValueKind == JsonValueKind.String
                ? key.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^(?<method>POST|PUT|PATCH|MERGE|DELETE|GET) (?<url>\S+) HTTP/1\.1\r?$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"PartitionKey='(?<key>(?:[^']|'')*)'", RegexOptions.CultureInvariant)]
    private static partial Regex AddressPartition();

    [GeneratedRegex(@"\r?\n\r?\n", RegexOptions.CultureInvariant)]
    private static partial Regex BlankLine();
}
