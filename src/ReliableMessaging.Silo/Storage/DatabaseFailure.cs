using System.Net.Sockets;
using Npgsql;

namespace ReliableMessaging.Silo.Storage;

/// <summary>
/// Which database errors mean "cannot serve now, a later attempt may succeed" (answered as retryable:
/// 503 <c>storage-unavailable</c>), as opposed to errors that fail the same way every time (a bug or
/// a misconfiguration, answered as errors), for the grain storage and the journal's reads alike.
/// </summary>
public static class DatabaseFailure
{
    /// <summary>
    /// The database could not be reached or could not serve now: a broken connection, an exhausted pool,
    /// a timeout or socket/IO failure on the way to it, or a server error that a later attempt may not
    /// meet (Npgsql's <c>IsTransient</c>; classes 08 connection, 53 resources, 57 shutdown or restart,
    /// 58 system I/O, 40 serialization; 25006, a primary demoted during a failover). Not an error that fails the same way every time (bad data,
    /// an undefined function, a missing grant).
    /// </summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException server:
                    return server.IsTransient || server.SqlState[..2] is "08" or "53" or "57" or "58" or "40"
                        || server.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction;
                case NpgsqlException:
                    // Not a server error: the connection, the pool or the protocol (its cause, if any, is inner).
                    return true;
                case TimeoutException or SocketException or IOException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>The innermost cause, as text (the exception itself may not be serializable).</summary>
    public static string Describe(Exception exception)
    {
        var root = exception.GetBaseException();
        return $"{root.GetType().Name}: {root.Message}";
    }
}
