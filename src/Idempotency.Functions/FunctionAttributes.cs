using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace Idempotency.Functions;

/// <summary>
/// Reads a function method's attributes from the entry point the worker reports ("Namespace.Type.Method"), once per
/// function and attribute. A method that cannot be resolved has no attributes: for [AllowAnonymous] that fails closed
/// (a token is asked for), and a function missing [Idempotent] or [RequestBody] fails loudly when it asks for them.
/// </summary>
public static class FunctionAttributes
{
    private static readonly ConcurrentDictionary<(string EntryPoint, Type Attribute), Attribute?> Cache = new();

    /// <summary>The attribute on the function's method, or null when it has none (or the method cannot be resolved).</summary>
    public static T? Get<T>(FunctionDefinition definition)
        where T : Attribute
    {
        ArgumentNullException.ThrowIfNull(definition);
        return Get<T>(definition.EntryPoint);
    }

    /// <summary>The attribute on the method at <paramref name="entryPoint"/> ("Namespace.Type.Method"), or null.</summary>
    public static T? Get<T>(string entryPoint)
        where T : Attribute =>
        (T?)Cache.GetOrAdd((entryPoint, typeof(T)), static key => Find(key.EntryPoint, key.Attribute));

    private static Attribute? Find(string entryPoint, Type attributeType)
    {
        var split = entryPoint.LastIndexOf('.');
        if (split <= 0)
        {
            return null;
        }

        var typeName = entryPoint[..split];
        var methodName = entryPoint[(split + 1)..];
        var type = typeof(FunctionAttributes).Assembly.GetType(typeName)
            ?? AppDomain.CurrentDomain.GetAssemblies().Select(assembly => assembly.GetType(typeName)).FirstOrDefault(t => t is not null);
        var methods = type?.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
            .Where(method => method.Name == methodName)
            .ToList();

        // Overloads must all agree: an attribute on one of them does not speak for the others.
        return methods is { Count: > 0 } && methods.TrueForAll(method => method.IsDefined(attributeType, inherit: false))
            ? methods[0].GetCustomAttribute(attributeType, inherit: false)
            : null;
    }
}
