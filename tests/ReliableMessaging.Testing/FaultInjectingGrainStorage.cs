using Orleans.Storage;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Testing;

/// <summary>
/// Wraps the real ADO.NET grain storage and, when a test arms it through <see cref="StorageFaults"/>,
/// fails a write before or after it reaches PostgreSQL, or holds it in flight; a state it loads can be
/// changed as one written by an older version would read.
/// </summary>
public sealed class FaultInjectingGrainStorage(IGrainStorage inner) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await inner.ReadStateAsync(stateName, grainId, grainState);
        if (grainState.State is AccountState state)
        {
            StorageFaults.ApplyOnRead(grainId.Key.ToString()!, state);
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var accountId = grainId.Key.ToString()!;
        StorageFaults.SignalArrival(accountId);
        await StorageFaults.WaitForGate(accountId);
        var armed = StorageFaults.TryTake(accountId, out var fault);
        if (armed && fault == StorageFault.BugBeforeWrite)
        {
            throw new InvalidOperationException($"Injected bug before writing {accountId}.");
        }

        if (armed && fault == StorageFault.FailBeforeWrite)
        {
            throw Injected($"Injected failure before writing {accountId}.");
        }

        try
        {
            await inner.WriteStateAsync(stateName, grainId, grainState);
        }
        catch (Exception exception)
        {
            StorageFaults.SignalEnd(accountId, exception);
            throw;
        }

        StorageFaults.SignalEnd(accountId, failure: null);
        StorageFaults.CountWrite(accountId);
        if (armed && fault == StorageFault.FailAfterWrite)
        {
            throw Injected($"Injected failure after writing {accountId} (acknowledgement lost).");
        }
    }

    /// <summary>A database failure as the product's storage hands it to the grain (translated by StorageErrorTranslatingGrainStorage).</summary>
    private static AccountStorageException Injected(string message) => new(message);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);

    public void Participate(ISiloLifecycle observer)
    {
        if (inner is ILifecycleParticipant<ISiloLifecycle> participant)
        {
            participant.Participate(observer);
        }
    }
}
