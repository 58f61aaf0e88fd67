using System.Diagnostics;
using System.Net.Sockets;
using Npgsql;
using Orleans.Storage;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Silo.Storage;

/// <summary>
/// Sits in front of the ADO.NET grain storage and turns database failures into
/// <see cref="AccountStorageException"/>. Npgsql's exceptions do not serialize across the silo
/// boundary, so without this a client whose account cannot be loaded (database down at activation)
/// would get a codec error instead of a retryable storage error. Only failures of the database and
/// the way to it are translated: anything else (a stored state that does not deserialize, a bug in
/// the provider or the serializer) passes through as it is, so that callers see an error, not
/// "unavailable, retry", which would send them into retries that fail the same way forever.
/// Version conflicts pass through unchanged: the grain handles them.
/// </summary>
public sealed class StorageErrorTranslatingGrainStorage(IGrainStorage inner) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        TranslateAsync(inner.ReadStateAsync(stateName, grainId, grainState), "read", grainId);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "error";
        try
        {
            await TranslateAsync(inner.WriteStateAsync(stateName, grainId, grainState), "written", grainId);
            outcome = "ok";
        }
        finally
        {
            AccountMetrics.StateWriteDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        TranslateAsync(inner.ClearStateAsync(stateName, grainId, grainState), "cleared", grainId);

    private static async Task TranslateAsync(Task operation, string verb, GrainId grainId)
    {
        try
        {
            await operation;
        }
        catch (Exception exception) when (IsDatabaseFailure(exception))
        {
            throw new AccountStorageException(
                $"The state of {grainId} could not be {verb}: {Describe(exception)}. Nothing was acknowledged; retry with the same operation ID.");
        }
    }

    /// <summary>
    /// The database could not be reached or could not serve now: a broken connection, an exhausted pool,
    /// a timeout or socket/IO failure on the way to it, or a server error that a later attempt may not
    /// meet (Npgsql's <c>IsTransient</c>; classes 08 connection, 53 resources, 57 shutdown or restart,
    /// 58 system I/O, 40 serialization). Not an error that fails the same way every time (bad data,
    /// an undefined function, a missing grant).
    /// </summary>
    internal static bool IsDatabaseFailure(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException server:
                    return server.IsTransient || server.SqlState[..2] is "08" or "53" or "57" or "58" or "40";
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
    private static string Describe(Exception exception)
    {
        var root = exception.GetBaseException();
        return $"{root.GetType().Name}: {root.Message}";
    }
}
