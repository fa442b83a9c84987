using Xunit;

namespace Payments.Testing;

public static class Eventually
{
    /// <summary>Awaits a condition, polling briefly, and fails with <paramref name="what"/> if it does not hold in time.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(10, CancellationToken.None);
        }
    }
}
