using Npgsql;

namespace ReliableMessaging.Silo.Journal;

/// <summary>
/// The journal writer's own pool (one connection: it sends one insert at a time). Apart from the pool
/// the journal's reads and the pruner share, so that reads (statement pages, look-ups of old
/// operations) piling up on a slow database can never keep the writer waiting for a connection, and
/// with it every account's records. Disposed with the container, and its connection with it.
/// </summary>
public sealed class JournalWriterDataSource(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
