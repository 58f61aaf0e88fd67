using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Npgsql;
using ReliableMessaging.Contracts.Health;
using ReliableMessaging.Grains.Health;
using ReliableMessaging.Silo.Storage;

namespace ReliableMessaging.Silo.Health;

/// <summary>
/// Probes this silo's own way to the database: <c>SELECT 1</c> on a new connection each time
/// (<see cref="Hosting.ProviderConnectionString.ForProbe"/>: not pooled, one of the process's budget),
/// within the probe timeout. Apart from the accounts' pools, so a pool busy with writes is not taken
/// for a hung path; new each time, so every silo's probe tests the same thing (reaching the server,
/// signing in, a round trip), not one silo an old session and another a new one. A probe fails when
/// the database does not answer (no connection, a broken one, no answer in time); an error the server
/// answers with (too many connections, a refused password) proves the path works, and is logged.
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
        using var deadline = new CancellationTokenSource(timeout, time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            // WaitAsync as well: a probe that ignored its cancellation must not stall the monitor.
            await command.ExecuteScalarAsync(bounded.Token).WaitAsync(timeout + TimeSpan.FromSeconds(1), time, cancellationToken);
            Reached();
        }
        catch (PostgresException refusal)
        {
            // The server answered: the path works, whatever this silo is refused.
            LogServerRefused(logger, refusal.SqlState, refusal.MessageText);
            Reached();
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

    private void Reached()
    {
        if (_health.Report().FailingFor is { } failedFor)
        {
            LogPathRecovered(logger, failedFor);
        }

        _health.Succeeded();
    }

    private static string Describe(Exception exception) =>
        exception is OperationCanceledException or TimeoutException ? "no answer within the probe timeout" : DatabaseFailure.Describe(exception);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "This silo's database probe failed ({Reason}, timeout {Timeout}); probing on")]
    private static partial void LogProbeFailed(ILogger logger, TimeSpan timeout, string reason);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "This silo's database probe was refused by the server ({SqlState}: {Message}); its path works")]
    private static partial void LogServerRefused(ILogger logger, string sqlState, string message);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "This silo reaches the database again after {FailedFor} of failed probes")]
    private static partial void LogPathRecovered(ILogger logger, TimeSpan failedFor);
}
