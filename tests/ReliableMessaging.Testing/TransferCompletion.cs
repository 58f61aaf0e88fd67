using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Testing;

/// <summary>Waits for a transfer to finish: delivery runs on its own (retried by a timer and a reminder), so nothing a test calls marks its end.</summary>
public static class TransferCompletion
{
    /// <summary>
    /// The transfer once completed or refunded, polled (<see cref="Eventually"/>) for at most <paramref name="timeout"/>.
    /// Each look-up is retried while a killed silo's calls fail.
    /// </summary>
    public static async Task<TransferResult> WaitFinishedAsync(IGrainFactory grains, Guid transferId, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var status = await Eventually.ReachedAsync(
            () => ClientRetry.UntilAnsweredAsync(() => grains.GetGrain<ITransferGrain>(transferId).GetStatus()),
            status => status.Transfer is { State: not TransferState.Pending },
            timeout,
            status => $"Transfer {transferId} still {status.Transfer?.State.ToString() ?? status.Status.ToString()}");
        return status.Transfer!;
    }
}
