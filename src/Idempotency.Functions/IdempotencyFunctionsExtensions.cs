using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Idempotency.Functions;

/// <summary>Registration of the idempotency middleware for isolated-worker apps.</summary>
public static class IdempotencyFunctionsExtensions
{
    private const string HttpTriggerBindingType = "httpTrigger";

    /// <summary>
    /// Registers what the middleware needs besides the idempotency layer itself (<c>AddIdempotency</c>): the caller and
    /// the record table of each [Idempotent] function, validated at start.
    /// </summary>
    public static OptionsBuilder<IdempotentFunctionsOptions> AddIdempotentFunctions(
        this IServiceCollection services, Action<IdempotentFunctionsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IdempotentFunctionsOptions>, IdempotentFunctionsOptionsValidator>());
        return services.AddOptions<IdempotentFunctionsOptions>().Configure(configure).ValidateOnStart();
    }

    /// <summary>
    /// Adds the idempotency middleware for HTTP-triggered functions, at this point of the pipeline: after the
    /// middleware that authenticates the caller and validates the request, which must answer before a key is claimed.
    /// </summary>
    public static IFunctionsWorkerApplicationBuilder UseIdempotency(this IFunctionsWorkerApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseWhen<IdempotencyMiddleware>(context => IsHttpTriggered(context.FunctionDefinition));
    }

    /// <summary>Whether the function has an HTTP trigger.</summary>
    public static bool IsHttpTriggered(FunctionDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return definition.InputBindings.Values.Any(b => string.Equals(b.Type, HttpTriggerBindingType, StringComparison.OrdinalIgnoreCase));
    }
}
