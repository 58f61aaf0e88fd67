using ReliableMessaging.Atm.Simulation;
using ReliableMessaging.Client;

namespace ReliableMessaging.Atm.Checking;

/// <summary>
/// Where the run's money must be, from what the ATMs recorded and what the look-ups said: each
/// account's balance, and the money in flight (debited at its source by an accepted transfer that,
/// as last looked up, was neither completed nor refunded, so credited nowhere yet). The sum of the
/// balances plus the money in flight equals the succeeded deposits minus the succeeded withdrawals;
/// a transfer still pending is its own violation (<c>transfer-still-pending</c>), never counted as lost.
/// </summary>
/// <param name="Balances">Each account's expected balance.</param>
/// <param name="Net">The succeeded deposits minus the succeeded withdrawals, over distinct operation IDs.</param>
/// <param name="InFlight">The money of accepted transfers neither completed nor refunded.</param>
/// <param name="InFlightTransfers">How many transfers that is.</param>
public sealed record ExpectedMoney(IReadOnlyDictionary<string, long> Balances, long Net, long InFlight, int InFlightTransfers)
{
    /// <summary>
    /// Deposits - withdrawals - accepted outgoing transfers + completed incoming ones (+ refunded
    /// outgoing ones), per account. <paramref name="succeeded"/> holds each succeeded operation once.
    /// </summary>
    public static ExpectedMoney From(IEnumerable<OperationRequest> succeeded, IEnumerable<TransferEntry> transfers)
    {
        ArgumentNullException.ThrowIfNull(succeeded);
        ArgumentNullException.ThrowIfNull(transfers);
        var balances = new Dictionary<string, long>(StringComparer.Ordinal);
        var net = 0L;
        foreach (var operation in succeeded)
        {
            balances[operation.AccountId] = balances.GetValueOrDefault(operation.AccountId) + operation.Effect;
            net += operation.Effect;
        }

        var (inFlight, inFlightTransfers) = (0L, 0);
        foreach (var transfer in transfers.Where(entry => entry.Lookup?.Kind == LookupKind.Found).DistinctBy(entry => entry.Intent.TransferId))
        {
            var (from, to, amount) = (transfer.Intent.From, transfer.Intent.To, transfer.Intent.Amount);
            balances[from] = balances.GetValueOrDefault(from) - amount;
            switch (transfer.Lookup!.Transfer?.Status)
            {
                case TransferStatus.Completed:
                    balances[to] = balances.GetValueOrDefault(to) + amount;
                    break;
                case TransferStatus.Refunded:
                    balances[from] += amount;
                    break;
                default:
                    inFlight += amount;
                    inFlightTransfers++;
                    break;
            }
        }

        return new(balances, net, inFlight, inFlightTransfers);
    }

    /// <summary>
    /// Every way <paramref name="read"/> (each account's balance; null when it could not be read)
    /// breaks the expectation: a balance off, a negative balance, or money not conserved.
    /// </summary>
    public IReadOnlyList<Violation> Check(IReadOnlyDictionary<string, long?> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var violations = new List<Violation>();
        foreach (var (accountId, balance) in read.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            var sum = Balances.GetValueOrDefault(accountId);
            if (balance is null)
            {
                violations.Add(new Violation("balance-unreadable", accountId, null, "GET /accounts/{id} gave no balance"));
            }
            else if (balance != sum)
            {
                violations.Add(new Violation("balance-mismatch", accountId, null,
                    $"balance {balance}, but the succeeded operations add up to {sum}: {(balance > sum ? "money appeared" : "money vanished")} (an operation executed twice or was lost)"));
            }
            else if (balance < 0)
            {
                violations.Add(new Violation("negative-balance", accountId, null, $"balance {balance}"));
            }
        }

        if (read.Values.All(balance => balance is not null))
        {
            var total = read.Values.Sum(balance => balance!.Value);
            if (total + InFlight != Net)
            {
                var inFlight = InFlightTransfers == 0 ? string.Empty : $" and {InFlightTransfers} transfer(s) still in flight hold {InFlight}";
                violations.Add(new Violation("money-not-conserved", null, null,
                    $"the balances add up to {total}{inFlight}, but the succeeded deposits minus withdrawals add up to {Net}: {(total + InFlight > Net ? "money appeared" : "money vanished")}"));
            }
        }

        return violations;
    }
}
