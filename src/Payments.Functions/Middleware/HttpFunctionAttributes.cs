namespace Payments.Functions.Middleware;

/// <summary>
/// The function takes a JSON body of this type; it is read and validated before anything else runs (in particular
/// before an Idempotency-Key is claimed). The function gets it with <c>context.GetRequestBody&lt;T&gt;()</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RequestBodyAttribute(Type bodyType) : Attribute
{
    public Type BodyType { get; } = bodyType;
}
