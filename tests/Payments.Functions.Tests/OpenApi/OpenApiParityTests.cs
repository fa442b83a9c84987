using System.Reflection;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Payments.Functions.Http;
using Payments.Functions.Http.Operations;

namespace Payments.Functions.Tests.OpenApi;

/// <summary>
/// The three descriptions of the HTTP surface must agree: the functions' own trigger attributes (what the host really
/// routes), <see cref="ApiRoutes"/> (what OPTIONS answers) and the OpenAPI document (what clients are told).
/// HEAD is implied by GET in the document; OPTIONS is served by one catch-all function and must be listed per route.
/// </summary>
public sealed class OpenApiParityTests
{
    private const string CatchAllRoute = "{*path}";
    private static readonly string[] OperationKeys = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    [Fact]
    public void HttpTriggers_WhenComparedWithApiRoutes_ShouldServeExactlyTheAllowedMethods()
    {
        var served = ServedByFunctions();

        Assert.Equal(Describe(ApiRoutes.Allowed.ToDictionary(r => r.Key, r => r.Value.ToHashSet(StringComparer.Ordinal))), Describe(served));
    }

    [Fact]
    public void OpenApiDocument_WhenComparedWithTheFunctions_ShouldListEveryRouteAndMethodAndNothingElse()
    {
        var documented = Documented().ToDictionary(
            path => path.Key,
            path => path.Value.Keys.Select(m => m.ToUpperInvariant())
                // HEAD is implied by GET: the document lists GET only, the functions serve both.
                .Concat(path.Value.ContainsKey("get") ? ["HEAD"] : [])
                .ToHashSet(StringComparer.Ordinal),
            StringComparer.Ordinal);

        Assert.Equal(Describe(ServedByFunctions()), Describe(documented));
    }

    [Fact]
    public void OpenApiDocument_WhenItNamesAnOperation_ShouldNameTheFunctionThatServesIt()
    {
        var functions = HttpFunctions().Where(f => f.Route != CatchAllRoute)
            .SelectMany(f => f.Methods.Select(m => ($"{f.Route} {m}", f.Name)))
            .ToDictionary(p => p.Item1, p => p.Name, StringComparer.Ordinal);

        foreach (var (route, operations) in Documented())
        {
            foreach (var (method, operation) in operations.Where(o => o.Key != "options"))
            {
                Assert.True(operation.TryGetProperty("operationId", out var operationId), $"{method} {route} has no operationId");
                Assert.Equal(functions[$"{route} {method.ToUpperInvariant()}"], operationId.GetString());
            }
        }
    }

    [Fact]
    public void OpenApiDocument_WhenAPathHasATemplateParameter_ShouldDeclareItForEveryOperation()
    {
        using var document = JsonDocument.Parse(OpenApiDocument.Bytes);
        var components = document.RootElement.GetProperty("components").GetProperty("parameters");
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            var templated = path.Name.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}')).ToList();
            var shared = PathParameters(path.Value, components, "parameters");
            foreach (var operation in path.Value.EnumerateObject().Where(o => OperationKeys.Contains(o.Name)))
            {
                var declared = shared.Concat(PathParameters(operation.Value, components, "parameters")).ToHashSet(StringComparer.Ordinal);
                Assert.True(templated.All(declared.Contains), $"{operation.Name} {path.Name} does not declare the path parameter(s) {string.Join(", ", templated)}");
            }
        }
    }

    /// <summary>Route template (under "api/") -> methods, from the [HttpTrigger] attributes; the catch-all serves OPTIONS on every route.</summary>
    private static Dictionary<string, HashSet<string>> ServedByFunctions()
    {
        var functions = HttpFunctions().ToList();
        var served = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var function in functions.Where(f => f.Route != CatchAllRoute))
        {
            if (!served.TryGetValue(function.Route, out var methods))
            {
                served[function.Route] = methods = new HashSet<string>(StringComparer.Ordinal);
            }

            foreach (var method in function.Methods)
            {
                Assert.True(methods.Add(method), $"{method} {function.Route} is served by more than one function");
            }
        }

        // Two catch-alls: Options answers OPTIONS everywhere; Unrouted every other method no function took. The host
        // tries routes in function-name order, so Unrouted must sort after every other HTTP function.
        var catchAlls = functions.Where(f => f.Route == CatchAllRoute).ToDictionary(f => f.Name, f => f.Methods);
        Assert.Equal(["OPTIONS"], catchAlls["Options"]);
        Assert.Equal(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], catchAlls[nameof(Unrouted)]);
        Assert.Equal(2, catchAlls.Count);
        Assert.Equal(nameof(Unrouted), functions.Select(f => f.Name).Max(StringComparer.OrdinalIgnoreCase));
        foreach (var methods in served.Values)
        {
            Assert.True(!methods.Contains("HEAD") || methods.Contains("GET"), "HEAD is only served next to GET");
            Assert.True(!methods.Contains("GET") || methods.Contains("HEAD"), "every GET route serves HEAD too");
            methods.Add("OPTIONS");
        }

        return served;
    }

    private static IEnumerable<(string Name, string Route, string[] Methods)> HttpFunctions() =>
        from type in typeof(ApiRoutes).Assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
        let function = method.GetCustomAttribute<FunctionAttribute>()
        where function is not null
        from parameter in method.GetParameters()
        let trigger = parameter.GetCustomAttribute<HttpTriggerAttribute>()
        where trigger is not null
        select (function.Name, trigger.Route ?? function.Name, (trigger.Methods ?? []).Select(m => m.ToUpperInvariant()).ToArray());

    /// <summary>Document path (without "/api/") -> operation name -> operation.</summary>
    private static Dictionary<string, Dictionary<string, JsonElement>> Documented()
    {
        using var document = JsonDocument.Parse(OpenApiDocument.Bytes);
        var paths = new Dictionary<string, Dictionary<string, JsonElement>>(StringComparer.Ordinal);
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            Assert.StartsWith("/api/", path.Name, StringComparison.Ordinal);
            paths[path.Name["/api/".Length..]] = path.Value.EnumerateObject().Where(o => OperationKeys.Contains(o.Name))
                .ToDictionary(o => o.Name, o => o.Value.Clone(), StringComparer.Ordinal);
        }

        return paths;
    }

    private static IEnumerable<string> PathParameters(JsonElement owner, JsonElement components, string property)
    {
        if (!owner.TryGetProperty(property, out var parameters))
        {
            yield break;
        }

        foreach (var parameter in parameters.EnumerateArray())
        {
            var resolved = parameter.TryGetProperty("$ref", out var reference)
                ? components.GetProperty(reference.GetString()!.Split('/')[^1])
                : parameter;
            if (resolved.GetProperty("in").GetString() == "path")
            {
                yield return resolved.GetProperty("name").GetString()!;
            }
        }
    }

    private static List<string> Describe(Dictionary<string, HashSet<string>> routes) =>
        [.. routes.SelectMany(r => r.Value.Select(m => $"{m} {r.Key}")).Order(StringComparer.Ordinal)];
}
