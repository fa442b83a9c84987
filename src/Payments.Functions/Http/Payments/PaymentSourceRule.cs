using Idempotency.Tables;
using Payments.Core.Payments;
using Payments.Core.Payments.Gateway;

namespace Payments.Functions.Http.Payments;

/// <summary>A payment whose source the gateway does not know is refused at once (422), not declined later.</summary>
public sealed class PaymentSourceRule(IPaymentGateway gateway) : IRequestBodyRule
{
    public Type BodyType => typeof(CreatePaymentRequest);

    public ProblemDetails? Check(object body) =>
        body is CreatePaymentRequest request && !gateway.KnowsSource(request.Source)
            ? ApiProblems.UnknownSource(request.Source)
            : null;
}
