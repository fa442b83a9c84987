using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.Tests.Infrastructure;

/// <summary>Keeps what the host logged, so tests can assert that a failure was logged.</summary>
public sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();

    public IReadOnlyCollection<(string Category, LogLevel Level, string Message)> Entries => _entries;

    public static ILoggerFactory CreateFactory(out ListLoggerProvider provider)
    {
        var list = new ListLoggerProvider();
        provider = list;
        return LoggerFactory.Create(logging => logging.AddProvider(list).SetMinimumLevel(LogLevel.Information));
    }

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            owner._entries.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}
