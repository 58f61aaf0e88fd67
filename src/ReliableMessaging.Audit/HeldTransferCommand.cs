using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Audit;

/// <summary>
/// <c>resolve-held-transfer SOURCE TRANSFER_ID completed|refunded REASON...</c>: an operator ends a
/// transfer held pending because its destination cannot tell whether the credit landed (error 1029),
/// after establishing from other records (a backup of the destination's journal, its statement)
/// which it was. The source asks the destination once more and writes the outcome only if it still
/// cannot tell. Exit codes: 0 resolved, 1 not resolved (see the line printed), 2 usage.
/// </summary>
public sealed record HeldTransferCommand(string Source, Guid TransferId, TransferState Outcome, string Reason)
{
    public const string Name = "resolve-held-transfer";

    public const string Usage = $"usage: {Name} SOURCE_ACCOUNT TRANSFER_ID completed|refunded REASON...";

    /// <summary>Reads the arguments after the command's name; null with <paramref name="error"/> when they do not fit.</summary>
    public static HeldTransferCommand? Parse(IReadOnlyList<string> arguments, out string? error)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        error = null;
        if (arguments.Count < 4)
        {
            error = Usage;
            return null;
        }

        if (!AccountIdFormat.IsValid(arguments[0]))
        {
            error = $"'{arguments[0]}' is not an account ID.";
            return null;
        }

        if (!Guid.TryParse(arguments[1], out var transferId))
        {
            error = $"'{arguments[1]}' is not a transfer ID.";
            return null;
        }

        TransferState? outcome = arguments[2].ToLowerInvariant() switch
        {
            "completed" => TransferState.Completed,
            "refunded" => TransferState.Refunded,
            _ => null,
        };
        if (outcome is null)
        {
            error = $"The outcome is 'completed' (the money reached the destination) or 'refunded' (it did not), not '{arguments[2]}'.";
            return null;
        }

        var reason = string.Join(' ', arguments.Skip(3)).Trim();
        if (reason.Length == 0)
        {
            error = "Give the reason (what the outcome was established from): it is logged with the resolution.";
            return null;
        }

        return new HeldTransferCommand(arguments[0], transferId, outcome.Value, reason);
    }

    /// <summary>Asks the source account to resolve the transfer; writes one line; returns the exit code.</summary>
    public async Task<int> RunAsync(IClusterClient client, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(output);
        var result = await client.GetGrain<IAccountGrain>(Source).ResolveHeldTransfer(TransferId, Outcome, Reason);
        var answer = result.DestinationAnswer is { } status ? status.ToString() : "not asked";
        var state = result.Transfer?.State is { } current ? current.ToString() : "unknown";
        await output.WriteLineAsync(result.Status switch
        {
            HeldTransferResolutionStatus.Resolved => $"RESOLVED transfer {TransferId} from {Source}: {state} (the destination still answered {answer})",
            HeldTransferResolutionStatus.NotHeld => $"NOT HELD transfer {TransferId} from {Source}: the destination answered {answer}; its delivery settles it, nothing was changed",
            HeldTransferResolutionStatus.NotPending => $"NOT PENDING transfer {TransferId} from {Source}: {state}; nothing was changed",
            _ => $"NOT RESOLVED transfer {TransferId} from {Source}: {result.Status}",
        });
        return result.Status == HeldTransferResolutionStatus.Resolved ? 0 : 1;
    }
}
