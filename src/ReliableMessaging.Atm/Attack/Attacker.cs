using ReliableMessaging.Atm.Checking;
using ReliableMessaging.Atm.Simulation;
using ReliableMessaging.Client;
using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Atm.Attack;

/// <summary>
/// A client playing alongside the honest ATMs with its own connection, sending requests whose keys
/// collide with the ATMs' transfers and operations. Every one of them must be refused with its
/// documented problem and move no money (the reconciliation's balances would show it):
/// <list type="bullet">
/// <item>the IDs the accounts derive for a transfer's credit, refund and finish, as deposit and
/// withdrawal keys at the transfer's destination and source, before the transfer is sent and while it
/// runs: 400 <c>idempotency-key-malformed</c> (they are UUID version 8; clients' keys are version 7);</item>
/// <item>an accepted transfer's own ID as a deposit or withdrawal key at its source, and as the key of
/// another transfer (reversed, another amount, or from its destination to a third account): 422
/// <c>idempotency-key-reused</c>;</item>
/// <item>an answered deposit's or withdrawal's key as the key of a transfer from the same account to
/// another: 422 <c>idempotency-key-reused</c>.</item>
/// </list>
/// Not attempted, because the service rightly executes them: a key is scoped to its account, so a
/// plain key (or a transfer's ID) used on an account that never saw it is a new operation there, and
/// a transfer's credit lives at its destination under its derived ID, not under the transfer's ID.
/// </summary>
public sealed class Attacker(ReliableMessagingClient bank, OperationJournal journal, double ratio)
{
    private const string Malformed = "idempotency-key-malformed";
    private const string Reused = "idempotency-key-reused";

    // Per kind: sent, refused as documented, unanswered, answered otherwise.
    private const int Columns = 4;
    private readonly long[] _counts = new long[Enum.GetValues<AttackKind>().Length * Columns];

    /// <summary>Whether the attacker goes after the next transfer or operation (a share <c>ratio</c> of them).</summary>
    public bool Targets(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return ratio > 0 && random.NextDouble() < ratio;
    }

    /// <summary>The derived IDs of <paramref name="transfer"/> as plain keys, before it is sent (the attacker learnt its ID first).</summary>
    public Task PreemptAsync(TransferRequest transfer, Random random, CancellationToken abort) =>
        SendDerivedAsync(DerivedKeyRequests(transfer, random), abort);

    /// <summary>The same, sent while the transfer is in flight (run it concurrently with the transfer).</summary>
    public Task InterfereAsync(TransferRequest transfer, Random random, CancellationToken abort) =>
        SendDerivedAsync(DerivedKeyRequests(transfer, random), abort);

    /// <summary>After <paramref name="transfer"/> was accepted: its ID as a plain key at its source, and as another transfer's key.</summary>
    public Task AfterAcceptedAsync(TransferRequest transfer, IReadOnlyList<string> accounts, Random random, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(random);
        var asOperation = new OperationRequest(transfer.From, transfer.TransferId, RandomKind(random), random.Next(1, 1001));
        var third = accounts.Where(account => account != transfer.To).ToList();
        var other = random.Next(3) switch
        {
            0 => transfer with { From = transfer.To, To = transfer.From },
            1 => transfer with { Amount = transfer.Amount + 1 },
            _ => transfer with { From = transfer.To, To = third[random.Next(third.Count)] },
        };
        return Task.WhenAll(
            SendAsync(AttackKind.TransferIdAsOperationKey, asOperation, Reused, abort),
            SendAsync(AttackKind.TransferIdForAnotherTransfer, other, Reused, abort));
    }

    /// <summary>After <paramref name="operation"/> was answered (executed or refused for funds): its key as a transfer's from the same account.</summary>
    public Task AfterAcknowledgedAsync(OperationRequest operation, IReadOnlyList<string> accounts, Random random, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(random);
        var others = accounts.Where(account => account != operation.AccountId).ToList();
        if (others.Count == 0)
        {
            return Task.CompletedTask;
        }

        var transfer = new TransferRequest(operation.OperationId, operation.AccountId, others[random.Next(others.Count)], random.Next(1, 1001));
        return SendAsync(AttackKind.OperationKeyAsTransferKey, transfer, Reused, abort);
    }

    public AttackFigures Figures(AttackKind kind) =>
        new(Read(kind, 0), Read(kind, 1), Read(kind, 2), Read(kind, 3));

    // Every random choice is made here, before anything is sent, so that the ATM's Random is never used concurrently.
    private static List<OperationRequest> DerivedKeyRequests(TransferRequest transfer, Random random)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        ArgumentNullException.ThrowIfNull(random);
        var requests = new List<OperationRequest>();
        foreach (var purpose in DerivedIds.TransferPurposes)
        {
            var key = DerivedIds.Derive(transfer.TransferId, purpose);
            requests.AddRange(new[] { transfer.To, transfer.From }.Select(account => new OperationRequest(account, key, RandomKind(random), random.Next(1, 1001))));
        }

        return requests;
    }

    private static OperationKind RandomKind(Random random) => random.Next(2) == 0 ? OperationKind.Deposit : OperationKind.Withdrawal;

    // All at once: the attacker races the transfer, and the ATM it rides along with waits one round trip, not six.
    private Task SendDerivedAsync(List<OperationRequest> requests, CancellationToken abort) =>
        Task.WhenAll(requests.Select(request => SendAsync(AttackKind.DerivedIdAsOperationKey, request, Malformed, abort)));

    private async Task SendAsync(AttackKind kind, OperationRequest request, string expected, CancellationToken abort)
    {
        var answer = await bank.SendAsync(request, abort);
        Judge(kind, request.AccountId, request.OperationId, answer.Kind, answer.Error, answer.StatusCode,
            $"{request.KindName} of {request.Amount} on {request.AccountId}", answer.Detail, expected);
    }

    private async Task SendAsync(AttackKind kind, TransferRequest request, string expected, CancellationToken abort)
    {
        var answer = await bank.SendAsync(request, abort);
        Judge(kind, request.From, request.TransferId, answer.Kind, answer.Error, answer.StatusCode,
            $"transfer of {request.Amount} from {request.From} to {request.To}", answer.Detail, expected);
    }

    private void Judge(AttackKind kind, string accountId, Guid key, OutcomeKind outcome, ApiError? error, int status, string what, string detail, string expected)
    {
        Increment(kind, 0);
        if (Answers.IsNoAnswer(outcome, error))
        {
            // No verdict either way; the reconciliation's balances still show any money it moved. (An answer
            // that is not this request's, say another operation's record under the colliding key, is not
            // "no verdict": it is the service answering the attack instead of refusing it.)
            Increment(kind, 2);
        }
        else if (outcome == OutcomeKind.Rejected && error?.Code == expected)
        {
            Increment(kind, 1);
        }
        else
        {
            Increment(kind, 3);
            journal.AddViolation(new Violation("attack-not-refused", accountId, key,
                $"{kind}: {what} under a colliding key must be refused with {expected}, but was answered {status} {outcome}: {detail}"));
        }
    }

    private void Increment(AttackKind kind, int column) => Interlocked.Increment(ref _counts[((int)kind * Columns) + column]);

    private long Read(AttackKind kind, int column) => Interlocked.Read(ref _counts[((int)kind * Columns) + column]);
}
