using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Payments.Testing;

public static class FakeLogCollectorExtensions
{
    /// <summary>
    /// A logger factory whose every logger writes into <paramref name="logs"/>, for code that takes an
    /// <see cref="ILoggerFactory"/> (the local host): what it and the worker logged, at <paramref name="minimumLevel"/> and above.
    /// </summary>
    public static ILoggerFactory CreateLoggerFactory(this FakeLogCollector logs, LogLevel minimumLevel)
    {
        ArgumentNullException.ThrowIfNull(logs);
        return LoggerFactory.Create(logging => logging.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(minimumLevel));
    }
}
