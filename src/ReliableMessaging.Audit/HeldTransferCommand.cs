using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Audit;

/// <summary>
/// <c>resolve-held-transfer [--by OPERATOR] SOURCE TRANSFER_ID completed|refunded REASON...</c>: an
/// operator ends a transfer held pending because its destination cannot tell whether the credit
/// landed (error 1029), after establishing from other records (a backup of the destination's
/// journal, its statement) which it was. The source asks the destination once more and writes the
/// outcome only if it still cannot tell; its records say <c>operator OPERATOR: REASON</c>, where the
/// operator is the user running the command (user@host), after the name given with <c>--by</c>
/// when there is one (<c>NAME (run by user@host)</c>). Exit codes: 0 resolved, or
/// already ended as asked (a run again after a lost answer); 1 not resolved (see the line printed);
/// 2 usage.
/// </summary>
public sealed record HeldTransferCommand(string Source, Guid TransferId, TransferState Outcome, string Reason, string Operator)
{
    public const string Name = "resolve-held-transfer";

    public const string Usage = $"usage: {Name} [--by OPERATOR] SOURCE_ACCOUNT TRANSFER_ID completed|refunded REASON...";

    /// <summary>Who runs the command: the user and the machine, recorded whatever <c>--by</c> says.</summary>
    public static string Runner => $"{Environment.UserName}@{Environment.MachineName}";

    /// <summary>The longest name <c>--by</c> takes.</summary>
    public const int MaxNameLength = 64;

    /// <summary>Reads the arguments after the command's name; null with <paramref name="error"/> when they do not fit.</summary>
    public static HeldTransferCommand? Parse(IReadOnlyList<string> arguments, out string? error)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        error = null;
        var by = Runner;
        if (arguments is ["--by", var name, ..])
        {
            // A plain name (letters, digits, . _ @ -): nothing that could read as part of the reason.
            if (name.Length is 0 or > MaxNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '-'))
            {
                error = $"--by takes a name of at most {MaxNameLength} letters, digits, '.', '_', '@' or '-', not '{name}'.";
                return null;
            }

            by = $"{name} (run by {Runner})";
            arguments = arguments.Skip(2).ToArray();
        }

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
        if (OperatorResolution.Check(by, reason, out _, out _) is { } refused)
        {
            error = refused;
            return null;
        }

        return new HeldTransferCommand(arguments[0], transferId, outcome.Value, reason, by);
    }

    /// <summary>Asks the source account to resolve the transfer; writes one line; returns the exit code.</summary>
    public async Task<int> RunAsync(IClusterClient client, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(output);

        // The account records who resolved it from the call's issuer, as it does for the front end's callers.
        HeldTransferResolution result;
        RequestContext.Set(RequestContextKeys.IssuedBy, Operator);
        try
        {
            result = await client.GetGrain<IAccountGrain>(Source).ResolveHeldTransfer(TransferId, Outcome, Reason);
        }
        finally
        {
            RequestContext.Remove(RequestContextKeys.IssuedBy);
        }

        var answer = result.DestinationAnswer is { } status ? status.ToString() : "not asked";
        var state = result.Transfer?.State is { } current ? current.ToString() : "unknown";

        // What the operator may want to look up at the destination: the credit's ID there.
        var credit = result.Transfer is { } transfer ? $" (credit {TransferRecordIds.Credit(TransferId)} at {transfer.To})" : string.Empty;
        var alreadyAsAsked = result is { Status: HeldTransferResolutionStatus.NotPending, Transfer.State: { } ended } && ended == Outcome;

        // Who ended it: this operator's earlier run (its answer lost), another operator, or the delivery.
        var endedBy = string.Empty;
        if (alreadyAsAsked)
        {
            var end = await client.GetGrain<IAccountGrain>(Source).GetOperation(TransferRecordIds.Finished(TransferId));
            endedBy = end.Status != OperationLookupStatus.Found ? string.Empty
                : end.IssuedBy is { } issuer ? $", ended by {issuer}"
                : ", ended by its delivery";
        }
        await output.WriteLineAsync(result.Status switch
        {
            HeldTransferResolutionStatus.Resolved => $"RESOLVED transfer {TransferId} from {Source}{credit}: {state} (the destination still answered {answer})",
            HeldTransferResolutionStatus.NotHeld => $"NOT HELD transfer {TransferId} from {Source}{credit}: the destination answered {answer}; its delivery settles it, nothing was changed",

            // A run again after a lost answer (or a delivery that settled it the same way): the transfer is as asked.
            HeldTransferResolutionStatus.NotPending when alreadyAsAsked => $"ALREADY {state} transfer {TransferId} from {Source}{credit}{endedBy}: nothing was changed",
            HeldTransferResolutionStatus.NotPending => $"NOT PENDING transfer {TransferId} from {Source}{credit}: {state}; nothing was changed",
            _ => $"NOT RESOLVED transfer {TransferId} from {Source}: {result.Status}",
        });
        return result.Status == HeldTransferResolutionStatus.Resolved || alreadyAsAsked ? 0 : 1;
    }
}
