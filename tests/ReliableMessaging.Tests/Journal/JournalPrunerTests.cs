using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Silo.Journal;

namespace ReliableMessaging.Tests.Journal;

/// <summary>The pruner's loop, when a pass fails in a way nobody foresaw.</summary>
public sealed class JournalPrunerTests
{
    [Fact]
    public async Task PassThrowsUnexpectedly_PrunerGoesOnAtTheNextPeriod_NeverEndsTheSilo()
    {
        // An exception that escaped the loop ended the pruner, and .NET's default then stops the host:
        // every silo with the same fault at once. A disposed data source throws ObjectDisposedException,
        // not the NpgsqlException of an outage.
        var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Username=nobody;Database=none");
        await dataSource.DisposeAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var logger = new EventLogger();
        var options = Options.Create(new AccountOptions { JournalRetention = TimeSpan.FromDays(2), MaxOperationAge = TimeSpan.FromDays(1) });
        using var pruner = new JournalPruner(dataSource, new JournalServiceId($"pruner-{Guid.NewGuid():N}"), options, time, logger);

        await pruner.StartAsync(CancellationToken.None);
        await logger.WaitForAsync(3012, count: 1);
        time.Advance(TimeSpan.FromHours(1));
        await logger.WaitForAsync(3012, count: 2);

        Assert.False(pruner.ExecuteTask!.IsCompleted, $"the pruner ended: {pruner.ExecuteTask.Exception}");
        await pruner.StopAsync(CancellationToken.None);
    }

    /// <summary>Counts the events logged, by ID.</summary>
    private sealed class EventLogger : ILogger<JournalPruner>
    {
        private readonly ConcurrentQueue<int> _events = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _events.Enqueue(eventId.Id);

        public async Task WaitForAsync(int eventId, int count)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (_events.Count(id => id == eventId) < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"event {eventId} not logged {count} time(s); logged: {string.Join(", ", _events)}");
                await Task.Delay(20);
            }
        }
    }
}
