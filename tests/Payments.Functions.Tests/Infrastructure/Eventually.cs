namespace Payments.Functions.Tests.Infrastructure;

public static class Eventually
{
    /// <summary>
    /// Polls an asynchronous probe until it answers a value, and fails with <paramref name="what"/> (and the last value
    /// seen) when the deadline passes first. Every wait in the end-to-end tests is bounded by one of these.
    /// </summary>
    public static async Task<T> ValueAsync<T>(Func<Task<(bool Done, T Value)>> probe, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var pause = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var (done, value) = await probe();
            if (done)
            {
                return value;
            }

            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting until {what}; last seen: {value}.");
            }

            // A short, growing poll interval: fast when things are quick, gentle on a loaded machine when they are not.
            await Task.Delay(pause, CancellationToken.None);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 250));
        }
    }

    /// <summary>Polls until <paramref name="done"/> holds for the probed value, and returns that value.</summary>
    public static Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        return ValueAsync(async () =>
        {
            var value = await probe();
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
}
