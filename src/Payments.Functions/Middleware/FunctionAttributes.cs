using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace Payments.Functions.Middleware;

/// <summary>Reads a function method's attributes once per function, from the entry point the worker reports.</summary>
internal static class FunctionAttributes
{
    private static readonly ConcurrentDictionary<string, MethodInfo?> Methods = new(StringComparer.Ordinal);

    public static T? Get<T>(FunctionDefinition definition)
        where T : Attribute
    {
        ArgumentNullException.ThrowIfNull(definition);
        return Methods.GetOrAdd(definition.EntryPoint, Resolve)?.GetCustomAttribute<T>();
    }

    private static MethodInfo? Resolve(string entryPoint)
    {
        var split = entryPoint.LastIndexOf('.');
        var type = split > 0 ? typeof(FunctionAttributes).Assembly.GetType(entryPoint[..split]) : null;
        return type?.GetMethod(entryPoint[(split + 1)..], BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static);
    }
}
