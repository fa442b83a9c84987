using Idempotency.Tables;

namespace Payments.Functions.Http;

/// <summary>
/// A check of a well-formed body that needs a service (not just the body's own fields), run with the body's validation
/// and so before an Idempotency-Key is claimed: a refused request leaves nothing behind.
/// </summary>
public interface IRequestBodyRule
{
    Type BodyType { get; }

    /// <summary>The problem to answer with, or null when the body passes.</summary>
    ProblemDetails? Check(object body);
}
