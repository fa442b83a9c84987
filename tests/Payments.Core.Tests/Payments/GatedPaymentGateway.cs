using Payments.Core.Payments.Gateway;

namespace Payments.Core.Tests.Payments;

/// <summary>
/// A gateway double that holds the next charge at a gate, either before it reaches the ledger or after it landed but
/// before its answer returns: how a test puts a competitor exactly between a processor's charge call and its status move.
/// </summary>
public sealed class GatedPaymentGateway(IPaymentGateway inner, GatedPaymentGateway.GatePosition position) : IPaymentGateway
{
    public enum GatePosition
    {
        BeforeCharge,
        AfterCharge,
    }

    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _armed = 1;

    /// <summary>Completes when a charge is held at the gate.</summary>
    public Task Entered => _entered.Task;

    /// <summary>What the held charge answered, once released.</summary>
    public ChargeOutcome? HeldOutcome { get; private set; }

    public void Release() => _release.TrySetResult();

    public bool KnowsSource(string source) => inner.KnowsSource(source);

    public async Task<ChargeOutcome> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _armed, 0) == 0)
        {
            return await inner.ChargeAsync(request, cancellationToken);
        }

        if (position == GatePosition.BeforeCharge)
        {
            _entered.TrySetResult();
            await _release.Task.WaitAsync(cancellationToken);
        }

        var outcome = await inner.ChargeAsync(request, cancellationToken);
        if (position == GatePosition.AfterCharge)
        {
            _entered.TrySetResult();
            await _release.Task.WaitAsync(cancellationToken);
        }

        HeldOutcome = outcome;
        return outcome;
    }

    public Task<VoidOutcome> VoidAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        inner.VoidAsync(idempotencyKey, cancellationToken);

    public Task<RefundRecord?> RefundAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        inner.RefundAsync(idempotencyKey, cancellationToken);

    public Task<ChargeRecord?> FindChargeAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        inner.FindChargeAsync(idempotencyKey, cancellationToken);
}
