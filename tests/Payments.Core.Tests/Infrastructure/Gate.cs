namespace Payments.Core.Tests.Infrastructure;

/// <summary>
/// Holds whoever reaches it until the test opens it: with <see cref="RequestHookPolicy"/>, a storage request waits at
/// the gate (not yet sent) while the test runs a competitor, so an interleaving is forced rather than hoped for.
/// </summary>
public sealed class Gate
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when someone waits at the gate; bounded so a test that never gets there fails instead of hanging.</summary>
    public Task Reached => _reached.Task.WaitAsync(TimeSpan.FromSeconds(30));

    public async Task WaitAsync()
    {
        _reached.TrySetResult();
        await _opened.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public void Open() => _opened.TrySetResult();
}
