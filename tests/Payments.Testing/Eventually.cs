using Xunit;

namespace Payments.Testing;

/// <summary>
/// Awaits a condition with a deadline: the alternative to sleeping and hoping. Every wait in the tests is bounded by one
/// of these, and a failure names what was awaited and the last value seen.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Polls an asynchronous probe until it answers a value, and fails with <paramref name="what"/> (and the last value
    /// seen) when the deadline passes first.
    /// </summary>
    public static async Task<T> ValueAsync<T>(Func<Task<(bool Done, T Value)>> probe, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var pause = FirstPause;
        while (true)
        {
            var (done, value) = await probe();
            if (done)
            {
                return value;
            }

            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s waiting until {what}; last seen: {value}.");
            }

            // A short, growing poll interval: fast when things are quick, gentle on a loaded machine when they are not.
            await Task.Delay(pause, CancellationToken.None);
            pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
        }
    }

    /// <summary>
    /// Polls until <paramref name="done"/> holds for the probed value, and returns that value. A probe may answer null
    /// while the thing awaited is not there yet; <paramref name="done"/> then says no, so the value returned is never null.
    /// </summary>
    public static Task<T> UntilAsync<T>(Func<Task<T?>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        return ValueAsync(async () =>
        {
            var value = (await probe())!;
            return (done(value), value);
        }, what, timeout);
    }

    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return ValueAsync(async () =>
        {
            var done = await condition();
            return (done, done);
        }, what, timeout);
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return TrueAsync(() => Task.FromResult(condition()), what, timeout);
    }
}
