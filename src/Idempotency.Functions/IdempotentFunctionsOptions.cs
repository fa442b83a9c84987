using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Idempotency.Functions;

/// <summary>
/// What the app tells the idempotency middleware at start: who the caller is, and which table keeps the records of
/// each [Idempotent] function. Validated at start: the app refuses to start when a function has no table.
/// </summary>
public sealed class IdempotentFunctionsOptions
{
    /// <summary>
    /// The verified caller of an invocation (for example the JWT subject set by authentication middleware that runs
    /// earlier). Keys are scoped to it: two callers never share a key or see each other's outcomes.
    /// </summary>
    public Func<FunctionContext, string?>? Subject { get; set; }

    /// <summary>The assembly whose [Function] methods are checked against <see cref="RecordTables"/> at start.</summary>
    public Assembly? FunctionsAssembly { get; set; }

    /// <summary>
    /// Function name → the table that keeps its idempotency records. A function whose handler writes its resource in
    /// the same transaction as its record (claimless, or a claim-first completion in a batch) must name the table its
    /// resource lives in: the lease's transaction can only write there. The one place that says which tables hold
    /// records (the reaper walks exactly these).
    /// </summary>
    public IDictionary<string, string> RecordTables { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Every table that keeps records, once each.</summary>
    public IReadOnlyList<string> Tables() => [.. RecordTables.Values.Distinct(StringComparer.OrdinalIgnoreCase)];
}

/// <summary>Checks at start that every [Idempotent] function has a record table and every registered table a function.</summary>
internal sealed partial class IdempotentFunctionsOptionsValidator : IValidateOptions<IdempotentFunctionsOptions>
{
    public ValidateOptionsResult Validate(string? name, IdempotentFunctionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Subject is null)
        {
            failures.Add("IdempotentFunctionsOptions.Subject is not set: tell the idempotency middleware who the caller is (for example the verified JWT subject).");
        }

        foreach (var (function, table) in options.RecordTables)
        {
            if (!TableName().IsMatch(table))
            {
                failures.Add($"The record table '{table}' of function '{function}' is not a valid table name (3-63 letters and digits, starting with a letter).");
            }
        }

        if (options.FunctionsAssembly is null)
        {
            failures.Add("IdempotentFunctionsOptions.FunctionsAssembly is not set: name the assembly holding the app's functions, so their record tables are checked at start.");
            return ValidateOptionsResult.Fail(failures);
        }

        var idempotent = IdempotentFunctions(options.FunctionsAssembly);
        foreach (var function in idempotent.Where(function => !options.RecordTables.ContainsKey(function)))
        {
            failures.Add($"Function '{function}' is [Idempotent] but no table keeps its records: register one in IdempotentFunctionsOptions.RecordTables (the table its resource lives in, when its transaction writes both).");
        }

        foreach (var function in options.RecordTables.Keys.Where(function => !idempotent.Contains(function)))
        {
            failures.Add($"A record table is registered for function '{function}', which is not an [Idempotent] function of {options.FunctionsAssembly.GetName().Name}: remove it or mark the function.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The names of the [Function] methods of <paramref name="assembly"/> marked [Idempotent].</summary>
    internal static HashSet<string> IdempotentFunctions(Assembly assembly) =>
        [.. assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(method => method.IsDefined(typeof(IdempotentAttribute), inherit: false))
            .Select(method => method.GetCustomAttribute<FunctionAttribute>()?.Name)
            .OfType<string>()];

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableName();
}
