namespace Functions.LocalHost.Worker;

/// <summary>
/// When to restart a dead worker, as the real RpcFunctionInvocationDispatcher decides: deaths are counted while each
/// comes within the window of the previous one (a longer gap starts the count afresh); at the limit there is no restart.
/// A restart waits until the restart interval has passed since the previous restart finished (the real host holds
/// its restart lock that long after starting a worker).
/// </summary>
internal sealed class WorkerRestartPolicy(TimeSpan restartInterval, int errorLimit, TimeSpan errorWindow, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly List<DateTimeOffset> _deaths = [];
    private DateTimeOffset? _lastRestart;

    /// <summary>Records a death; returns what was exceeded when the host must give up, null when it may restart.</summary>
    public Exceeded? RecordDeath()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_deaths.Count > 0 && now - _deaths[^1] > errorWindow)
            {
                _deaths.Clear();
            }

            _deaths.Add(now);
            return _deaths.Count >= errorLimit ? new Exceeded(_deaths.Count, errorWindow) : null;
        }
    }

    /// <summary>How long to wait so that this restart comes at least the restart interval after the previous one.</summary>
    public TimeSpan WaitBeforeRestart()
    {
        lock (_gate)
        {
            if (_lastRestart is not { } last)
            {
                return TimeSpan.Zero;
            }

            var wait = last + restartInterval - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
    }

    public void RecordRestart()
    {
        lock (_gate)
        {
            _lastRestart = time.GetUtcNow();
        }
    }

    public sealed record Exceeded(int Deaths, TimeSpan Window);
}
