namespace Functions.LocalHost.Tests.Infrastructure;

/// <summary>Awaits a condition with a deadline: the alternative to sleeping and hoping.</summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, Func<T?, bool> done, TimeSpan within, string what)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        var deadline = DateTime.UtcNow + within;
        T? last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await probe();
            if (done(last))
            {
                return last!;
            }

            await Task.Delay(PollInterval);
        }

        throw new TimeoutException($"Not within {within.TotalSeconds:0.#} s: {what}. Last value seen: {last}");
    }

    public static Task<bool> TrueAsync(Func<bool> condition, TimeSpan within, string what) =>
        GetAsync(() => Task.FromResult(condition()), value => value, within, what);
}
