namespace Payments.Functions.Middleware;

/// <summary>
/// Marks an HTTP function that answers without a bearer token (health probe, OpenAPI document).
/// Every other HTTP function is authenticated by <see cref="AuthenticationMiddleware"/>: opting out is explicit.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class AllowAnonymousAttribute : Attribute;
