using Microsoft.Extensions.Logging;

namespace ReliableMessaging.Tests.Rules;

/// <summary>Keeps the event IDs logged, so a test can assert that an alert was raised.</summary>
internal sealed class RecordingLogger : ILogger
{
    public List<(int EventId, LogLevel Level, string Message)> Events { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        Events.Add((eventId.Id, logLevel, formatter(state, exception)));
    }
}
