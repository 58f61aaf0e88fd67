using System.Diagnostics;
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
            AccountMetrics.StateWriteDuration.Record(
                Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("outcome", outcome),
                new KeyValuePair<string, object?>(AccountMetrics.StateTag, stateName));
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
        catch (Exception exception) when (DatabaseFailure.IsUnavailable(exception))
        {
            throw new AccountStorageException(
                $"The state of {grainId} could not be {verb}: {DatabaseFailure.Describe(exception)}. Nothing was acknowledged; retry with the same operation ID.");
        }
    }
}
