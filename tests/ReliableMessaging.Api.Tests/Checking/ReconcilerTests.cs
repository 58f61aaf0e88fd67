using System.Net;
using System.Text;
using ReliableMessaging.Api.Tests.Client;
using ReliableMessaging.Atm.Checking;
using ReliableMessaging.Atm.Simulation;
using ReliableMessaging.Client;
using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Api.Tests.Checking;

/// <summary>
/// The chaos run's verdict is "no violation": these show that its reconciliation does report each
/// broken promise, against the real front end, by feeding it an ATM journal that disagrees with what
/// the service did (a double booking, an acknowledged operation the service never recorded, an answer
/// other than the record), and stays silent on an honest one.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ReconcilerTests(ApiFixture fixture)
{
    private static async Task<IReadOnlyCollection<Violation>> ReconcileAsync(ClientHarness harness, OperationJournal journal)
    {
        await new Reconciler(harness.Client, journal, parallelism: 4, transferWait: TimeSpan.FromSeconds(5)).ReconcileAsync(CancellationToken.None);
        return journal.Violations;
    }

    /// <summary>An account opened and funded with 1,000 through journaled deposits, as the simulator does.</summary>
    private static async Task<(OperationJournal Journal, string AccountId)> FundedAsync(ClientHarness harness)
    {
        var journal = new OperationJournal();
        var accountId = $"rec-{Guid.NewGuid():N}";
        await harness.Client.OpenAccountAsync(accountId);
        journal.AddAccount(accountId);
        Keep(journal, await harness.Client.DepositAsync(accountId, 1000));
        return (journal, accountId);
    }

    private static void Keep(OperationJournal journal, OperationOutcome answer) => journal.Add(answer.Request).Answer = answer;

    private static void Keep(OperationJournal journal, TransferOutcome answer) => journal.Add(answer.Request).Answer = answer;

    /// <summary>A problem answer as the front end writes it, to stand in for the service's own.</summary>
    private static HttpResponseMessage Problem(HttpStatusCode status, string code) => new(status)
    {
        Content = new StringContent(
            $$"""{"type":"{{ApiError.TypePrefix}}{{code}}","title":"stand-in","status":{{(int)status}}}""", Encoding.UTF8, "application/problem+json"),
    };

    /// <summary>A checker whose look-ups of <paramref name="operationId"/> can be answered by a stand-in.</summary>
    private ClientHarness CheckerFor(Guid operationId) => new(fixture.FrontEndA, pathSuffix: $"/operations/{operationId}");

    /// <summary>A second funded account in the same journal, for transfers.</summary>
    private static async Task<string> AlsoFundedAsync(ClientHarness harness, OperationJournal journal)
    {
        var accountId = $"rec-{Guid.NewGuid():N}";
        await harness.Client.OpenAccountAsync(accountId);
        journal.AddAccount(accountId);
        Keep(journal, await harness.Client.DepositAsync(accountId, 1000));
        return accountId;
    }

    [Fact]
    public async Task Reconcile_JournalAgreesWithTheService_NoViolation()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var (journal, accountId) = await FundedAsync(harness);
        var other = await AlsoFundedAsync(harness, journal);
        Keep(journal, await harness.Client.WithdrawAsync(accountId, 300));
        Keep(journal, await harness.Client.WithdrawAsync(accountId, 5000));
        var transfer = await harness.Client.TransferAsync(accountId, other, 200);
        var refusedTransfer = await harness.Client.TransferAsync(accountId, other, 50_000);
        Assert.Equal((OutcomeKind.Succeeded, OutcomeKind.InsufficientFunds), (transfer.Kind, refusedTransfer.Kind));
        Keep(journal, transfer);
        Keep(journal, refusedTransfer);

        // Nothing wrong, and not because nothing was checked: every operation looked up, the transfer followed.
        var reconciler = new Reconciler(harness.Client, journal, parallelism: 4, transferWait: TimeSpan.FromSeconds(5));
        await reconciler.ReconcileAsync(CancellationToken.None);
        Assert.Empty(journal.Violations);
        Assert.NotEmpty(journal.Entries);
        Assert.All(journal.Entries, entry => Assert.NotNull(entry.Lookup));
        Assert.Equal((1, 1), (reconciler.TransfersAccepted, reconciler.TransfersCompleted));
    }

    [Fact]
    public async Task Reconcile_OperationBookedTwice_BalanceMismatchAndMoneyNotConserved()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var (journal, accountId) = await FundedAsync(harness);
        var withdrawal = await harness.Client.WithdrawAsync(accountId, 300);
        Keep(journal, withdrawal);

        // The same withdrawal booked again under another ID: what a broken dedup would do.
        await harness.Client.WithdrawAsync(accountId, 300);

        var violations = await ReconcileAsync(harness, journal);
        Assert.Equal(["balance-mismatch", "money-not-conserved"], violations.Select(v => v.Kind).Order());
        Assert.Equal(accountId, violations.Single(v => v.Kind == "balance-mismatch").AccountId);
    }

    [Fact]
    public async Task Reconcile_AcknowledgedButNeverRecorded_AcknowledgedOperationLost()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var (journal, accountId) = await FundedAsync(harness);
        var never = OperationRequest.Deposit(accountId, 70);
        Keep(journal, new OperationOutcome { Kind = OutcomeKind.Succeeded, Request = never, BalanceAfter = 1070, Attempts = 1 });

        var violation = Assert.Single(await ReconcileAsync(harness, journal));
        Assert.Equal(("acknowledged-operation-lost", never.OperationId), (violation.Kind, violation.OperationId));
    }

    [Fact]
    public async Task Reconcile_AnswerOtherThanTheRecord_OutcomeDiffers()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var (journal, accountId) = await FundedAsync(harness);
        var withdrawal = await harness.Client.WithdrawAsync(accountId, 300);

        // The client was told "insufficient funds" for a withdrawal the service recorded as done.
        Keep(journal, withdrawal with { Kind = OutcomeKind.InsufficientFunds, BalanceAfter = 1000 });

        var violation = Assert.Single(await ReconcileAsync(harness, journal));
        Assert.Equal(("outcome-differs", withdrawal.Request.OperationId), (violation.Kind, violation.OperationId));
    }

    [Fact]
    public async Task Reconcile_TransferToldRefusedButAccepted_RefusedButExecuted()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var (journal, accountId) = await FundedAsync(harness);
        var other = await AlsoFundedAsync(harness, journal);
        var transfer = await harness.Client.TransferAsync(accountId, other, 200);

        // The client was told "insufficient funds" for a transfer the service accepted.
        Keep(journal, transfer with { Kind = OutcomeKind.InsufficientFunds });

        var violation = Assert.Single(await ReconcileAsync(harness, journal));
        Assert.Equal(("refused-but-executed", transfer.Request.TransferId), (violation.Kind, violation.OperationId));
    }

    [Fact]
    public async Task Reconcile_AcknowledgedButItsLookupAnswersExpired_AcknowledgedOperationUnverifiable()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var (journal, accountId) = await FundedAsync(harness);
        var withdrawal = await harness.Client.WithdrawAsync(accountId, 300);
        Keep(journal, withdrawal);

        // The service answers 410 for an operation it acknowledged: a retention that forgot it too early.
        await using var checker = CheckerFor(withdrawal.Request.OperationId);
        checker.Wire.ReplaceResponses(1, () => Problem(HttpStatusCode.Gone, "idempotency-key-expired"));

        var violations = await ReconcileAsync(checker, journal);
        Assert.Contains(violations, violation => (violation.Kind, violation.OperationId) == ("acknowledged-operation-unverifiable", withdrawal.Request.OperationId));
    }

    [Fact]
    public async Task Reconcile_UnansweredResolvedAsNeverRunThenFound_LateExecution()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var (journal, accountId) = await FundedAsync(harness);
        var deposit = await harness.Client.DepositAsync(accountId, 70);

        // The ATM never got the answer; the first look-up says "no record" (as if the request still sat in
        // a queue), the check after the balances finds it executed: a late execution, never "resolved".
        Keep(journal, deposit with { Kind = OutcomeKind.Unanswered });
        await using var checker = CheckerFor(deposit.Request.OperationId);
        checker.Wire.ReplaceResponses(1, () => Problem(HttpStatusCode.NotFound, "operation-not-found"));

        var violations = await ReconcileAsync(checker, journal);
        Assert.Contains(violations, violation => (violation.Kind, violation.OperationId) == ("late-execution", deposit.Request.OperationId));
    }

    [Fact]
    public async Task Reconcile_TransferStampedAheadToldFromTheFutureButAccepted_RefusedButExecuted()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var (journal, transfer) = await AcceptedButToldFromTheFutureAsync(harness);

        // The balances disagree too (the money moved while the run took it for refused).
        var violations = await ReconcileAsync(harness, journal);
        Assert.Contains(violations, violation => (violation.Kind, violation.OperationId) == ("refused-but-executed", transfer.Request.TransferId));
        Assert.Equal(["balance-mismatch", "balance-mismatch", "refused-but-executed"], violations.Select(v => v.Kind).Order());
    }

    [Fact]
    public async Task Reconcile_TransferToldFromTheFutureFoundOnlyAfterTheBalancesWereRead_LateExecution()
    {
        await using var setup = new ClientHarness(fixture.FrontEndA);
        var (journal, transfer) = await AcceptedButToldFromTheFutureAsync(setup);

        // The first look-up finds nothing (as if its debit had not committed yet); the one after the balances finds it.
        await using var checker = new ClientHarness(fixture.FrontEndA, pathSuffix: $"/transfers/{transfer.Request.TransferId}");
        checker.Wire.ReplaceResponses(1, () => Problem(HttpStatusCode.NotFound, "transfer-not-found"));
        var violations = await ReconcileAsync(checker, journal);

        Assert.Contains(violations, violation => (violation.Kind, violation.OperationId) == ("late-execution", transfer.Request.TransferId));
        Assert.DoesNotContain(violations, violation => violation.Kind == "refused-but-executed");
    }

    /// <summary>
    /// A transfer the service accepted, journaled as the ATM would have had it been told its ID came from
    /// the future (a source whose clock is behind): refused, never executed.
    /// </summary>
    private static async Task<(OperationJournal Journal, TransferOutcome Transfer)> AcceptedButToldFromTheFutureAsync(ClientHarness harness)
    {
        var (journal, accountId) = await FundedAsync(harness);
        var other = await AlsoFundedAsync(harness, journal);
        var transfer = await harness.Client.TransferAsync(accountId, other, 200);
        var refusal = new IdempotencyKeyMalformedError(new ProblemInfo(400, "idempotency-key-malformed", null, null, string.Empty));
        var entry = journal.Add(transfer.Request);
        entry.Ahead = true;
        entry.Answer = transfer with { Kind = OutcomeKind.Rejected, Error = refusal, Detail = "400 idempotency-key-malformed" };
        return (journal, transfer);
    }
}
