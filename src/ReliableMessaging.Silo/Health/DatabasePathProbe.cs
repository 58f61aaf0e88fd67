using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Npgsql;
using ReliableMessaging.Contracts.Health;
using ReliableMessaging.Grains.Health;
using ReliableMessaging.Silo.Storage;

namespace ReliableMessaging.Silo.Health;

/// <summary>
/// Probes this silo's own way to the database: <c>SELECT 1</c> on a connection of its own
/// (<see cref="Hosting.ProviderConnectionString.ForProbe"/>, one of the process's budget), so that a
/// pool busy with the accounts' writes is not mistaken for a hung path, within the probe timeout.
/// </summary>
public sealed partial class DatabasePathProbe(
    NpgsqlDataSource dataSource,
    IOptions<DatabasePathOptions> options,
    TimeProvider time,
    ILogger<DatabasePathProbe> logger) : IDatabasePathStatus, IAsyncDisposable
{
    private readonly DatabasePathHealth _health = new(time);

    public DatabasePathReport Current() => _health.Report();

    /// <summary>One probe, recorded as a success or a failure (a timeout is a failure).</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var timeout = options.Value.ProbeTimeout;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            // WaitAsync as well: a probe that ignored its cancellation must not stall the monitor.
            await command.ExecuteScalarAsync(bounded.Token).WaitAsync(timeout + TimeSpan.FromSeconds(1), time, cancellationToken);
            if (_health.Report().FailingFor is { } failedFor)
            {
                LogPathRecovered(logger, failedFor);
            }

            _health.Succeeded();
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested
            && exception is DbException or TimeoutException or OperationCanceledException or IOException or SocketException)
        {
            if (_health.Report().FailingFor is null)
            {
                LogProbeFailed(logger, timeout, Describe(exception));
            }

            _health.Failed();
        }
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    private static string Describe(Exception exception) =>
        exception is OperationCanceledException or TimeoutException ? "no answer within the probe timeout" : DatabaseFailure.Describe(exception);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "This silo's database probe failed ({Reason}, timeout {Timeout}); probing on")]
    private static partial void LogProbeFailed(ILogger logger, TimeSpan timeout, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "This silo reaches the database again after {FailedFor} of failed probes")]
    private static partial void LogPathRecovered(ILogger logger, TimeSpan failedFor);
}
