using System.Text.RegularExpressions;

namespace Payments.Testing;

/// <summary>
/// Contract rule 1 for one table query's <c>$filter</c>: a top-level <c>PartitionKey eq '&lt;literal&gt;'</c> conjunct and
/// otherwise only RowKey range comparisons. Azurite answers anything in one cheap page; Azure scans every partition
/// of the table for a filter that does not pin one, returning a continuation token at each partition boundary.
/// </summary>
public static partial class TableQueryRule
{
    /// <summary>Null when the filter reads one partition by key range; otherwise why not.</summary>
    public static string? Check(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return "the query has no $filter: it reads the whole table";
        }

        var conjuncts = new List<string>();
        if (!TrySplitConjuncts(Unwrap(filter.Trim()), conjuncts))
        {
            return $"the filter is not well formed: {filter}";
        }

        var partitions = 0;
        foreach (var conjunct in conjuncts)
        {
            var match = KeyComparison().Match(Unwrap(conjunct));
            if (!match.Success)
            {
                return $"'{conjunct}' is neither PartitionKey eq '<literal>' nor a RowKey comparison: the server reads every entity to test it";
            }

            if (match.Groups["key"].Value == "PartitionKey")
            {
                if (match.Groups["op"].Value != "eq")
                {
                    return $"'{conjunct}' compares PartitionKey by range: the query spans partitions";
                }

                partitions++;
            }
            else if (match.Groups["op"].Value == "ne")
            {
                return $"'{conjunct}' is not a RowKey range";
            }
        }

        return partitions == 1 ? null : partitions == 0
            ? $"the filter '{filter}' has no top-level PartitionKey eq '<literal>': it scans every partition"
            : $"the filter '{filter}' names more than one PartitionKey";
    }

    private static string Unwrap(string text)
    {
        while (text.Length >= 2 && text[0] == '(' && MatchingParenthesis(text, 0) == text.Length - 1)
        {
            text = text[1..^1].Trim();
        }

        return text;
    }

    private static int MatchingParenthesis(string text, int open)
    {
        var depth = 0;
        var quoted = false;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\'')
            {
                quoted = !quoted; // a doubled quote inside a literal toggles twice
            }
            else if (!quoted && c == '(')
            {
                depth++;
            }
            else if (!quoted && c == ')' && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Splits at top-level <c>and</c> (outside literals and parentheses).</summary>
    private static bool TrySplitConjuncts(string filter, List<string> conjuncts)
    {
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < filter.Length; i++)
        {
            var c = filter[i];
            if (c == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '(')
            {
                depth++;
            }
            else if (!quoted && c == ')')
            {
                depth--;
            }
            else if (!quoted && depth == 0 && char.IsWhiteSpace(c) && i + 4 < filter.Length
                     && string.Compare(filter, i + 1, "and", 0, 3, StringComparison.OrdinalIgnoreCase) == 0 && char.IsWhiteSpace(filter[i + 4]))
            {
                conjuncts.Add(filter[start..i].Trim());
                start = i + 5;
                i += 4;
            }
        }

        conjuncts.Add(filter[start..].Trim());
        return !quoted && depth == 0 && conjuncts.TrueForAll(c => c.Length > 0);
    }

    [GeneratedRegex(@"^(?<key>PartitionKey|RowKey)\s+(?<op>eq|ne|gt|ge|lt|le)\s+'(?:[^']|'')*'$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyComparison();
}
