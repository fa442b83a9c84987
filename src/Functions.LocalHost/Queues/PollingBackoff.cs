namespace Functions.LocalHost.Queues;

/// <summary>
/// The delay before the next poll after an empty (or failed) one, as the real queue listener computes it
/// (azure-sdk-for-net Storage.Common <c>RandomizedExponentialBackoffStrategy.GetNextDelay</c>): the minimum, then the
/// minimum plus a randomized (x0.8 to x1.2) doubling increment, until the maximum, which then stays. A batch that
/// brought messages starts the series again one step above the minimum.
/// </summary>
internal sealed class PollingBackoff(TimeSpan minimum, TimeSpan maximum, Func<double> random)
{
    private const double RandomizationFactor = 0.2;
    private TimeSpan _current;
    private int _exponent;

    public void Reset()
    {
        _current = minimum;
        _exponent = 1;
    }

    public TimeSpan Next()
    {
        if (_current == maximum)
        {
            return _current;
        }

        var next = minimum;
        if (_exponent > 0)
        {
            var factor = 1.0 - RandomizationFactor + (random() * 2 * RandomizationFactor);
            next += TimeSpan.FromMilliseconds(factor * Math.Pow(2.0, _exponent - 1) * minimum.TotalMilliseconds);
        }

        if (next < maximum)
        {
            _current = next;
            _exponent++;
        }
        else
        {
            _current = maximum;
        }

        return _current;
    }
}
