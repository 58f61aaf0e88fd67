using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;
using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Grains.Transfers;

/// <summary>
/// The entry point of one transfer (key: the transfer ID). It records which accounts and amount
/// the ID was first used with (so reuse is refused even with another source) and where to find the
/// transfer; the source account does the work. Not reentrant: duplicates of one transfer queue up.
/// </summary>
public sealed class TransferGrain(
    [PersistentState("transfer", AccountStorage.ProviderName)] IPersistentState<TransferIndexState> state,
    TimeProvider time,
    IOptions<SiloMessagingOptions> messaging,
    IOptions<AccountOptions> accounts) : Grain, ITransferGrain
{
    private TimeSpan ResponseTimeout => messaging.Value.ResponseTimeout;

    public async Task<TransferResult> Start(string source, string destination, long amount)
    {
        var transferId = this.GetPrimaryKey();
        var refusal = !Uuid7.IsValid(transferId) ? OperationStatus.InvalidOperationId
            : !AccountIdFormat.IsValid(source) || !AccountIdFormat.IsValid(destination) ? OperationStatus.InvalidAccountId
            : amount <= 0 ? OperationStatus.InvalidAmount
            : string.Equals(source, destination, StringComparison.Ordinal) ? OperationStatus.TransferToSelf
            : (OperationStatus?)null;
        if (refusal is { } status)
        {
            return TransferResult.Refused(transferId, source ?? string.Empty, destination ?? string.Empty, amount, status);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var first = state.RecordExists ? state.State : null;
        if (first is not null && (first.Source != source || first.Destination != destination || first.Amount != amount))
        {
            return TransferResult.Refused(transferId, source, destination, amount, OperationStatus.OperationIdReused);
        }

        var sourceAccount = GrainFactory.GetGrain<IAccountGrain>(source);
        if (first is not null && await sourceAccount.GetTransfer(transferId) is { Transfer: { } recorded })
        {
            // A repeat of a transfer its source has recorded (its debit, or the refusal of it) is a
            // replay: answered from that record, as the start would answer it, without the writes a
            // start makes (this index's, the source's reminder and its removal), which a caller could
            // otherwise cause at the rate of replays, which are charged as costing none.
            return recorded with { IsReplay = true };
        }

        // Record the ID; keep the last start recent enough that a look-up knows this one may still
        // commit; and never let a fence taken before this start (on a silo whose clock was ahead) cover it.
        if (first is null || now - first.LastStartUnixMs > (long)ResponseTimeout.TotalMilliseconds || !first.NeedsFence)
        {
            await WriteIndexAsync(
                new TransferIndexState { Source = source, Destination = destination, Amount = amount, LastStartUnixMs = now },
                $"Transfer {transferId} could not be recorded; nothing was debited. Retry with the same transfer ID.");
        }

        return await sourceAccount.StartTransfer(transferId, destination, amount);
    }

    public async Task<TransferLookupResult> GetStatus()
    {
        if (!state.RecordExists)
        {
            // Nothing to keep in memory: look-ups of IDs nobody used (anyone's, before the front end
            // decides what they may see) must not pile up activations.
            this.DeactivateOnIdle();
            return new TransferLookupResult(TransferLookupStatus.Unknown, null);
        }

        // The ID was received. If the source does not know it, a start may still commit (one that
        // timed out, or whose transfer grain's silo died with the start in transit): never answer
        // "not accepted" for that; the client repeats the start with the same ID to settle it.
        // Once no start can be in transit any more, the source fences its "unknown" (a start still
        // held by a paused silo's activation can then no longer commit): "not accepted" is final.
        // The fence is a state write on the source: once per start, so look-ups (anyone's, before the
        // front end decides what they may see) cannot make the source write again and again.
        var transferId = this.GetPrimaryKey();
        var source = GrainFactory.GetGrain<IAccountGrain>(state.State.Source);
        var now = time.GetUtcNow();
        var mayStillCommit = state.State.MayStillCommit(now, ResponseTimeout, accounts.Value.MaxClockSkew);
        var fence = !mayStillCommit && state.State.NeedsFence;
        var lookup = fence ? await source.GetTransferFenced(transferId) : await source.GetTransfer(transferId);
        if (fence && lookup.Status == TransferLookupStatus.Unknown)
        {
            var index = state.State;
            await WriteIndexAsync(
                new TransferIndexState
                {
                    Source = index.Source, Destination = index.Destination, Amount = index.Amount,
                    LastStartUnixMs = index.LastStartUnixMs, FencedUnixMs = now.ToUnixTimeMilliseconds(),
                },
                $"Transfer {transferId} could not be looked up to the end. Retry.");
        }

        var answer = lookup.Status == TransferLookupStatus.Unknown && mayStillCommit
            ? new TransferLookupResult(TransferLookupStatus.Unconfirmed, null)
            : lookup;

        // The accounts it was received for, so that an answer without a transfer can be shown only to them.
        return answer with { Source = state.State.Source, Destination = state.State.Destination };
    }

    /// <summary>Writes the index; when that fails, the caller gets <paramref name="whenFailed"/> as a retryable error.</summary>
    private async Task WriteIndexAsync(TransferIndexState index, string whenFailed)
    {
        var previous = state.State;
        state.State = index;
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception exception) when (exception is InconsistentStateException or AccountStorageException)
        {
            state.State = previous;
            DeactivateOnIdle();
            throw new AccountStorageException(whenFailed, exception is InconsistentStateException);
        }
    }
}
