using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Payments.Functions.Tests.Infrastructure;

/// <summary>Keeps every log entry, rendered and with its structured values, so tests can search them.</summary>
public sealed class CapturingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<string> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
        Entries.Enqueue($"{logLevel}|{eventId.Id}|{formatter(state, exception)}|{values}|{exception}");
    }
}
