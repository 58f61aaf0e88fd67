using ReliableMessaging.Audit;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Journal;

/// <summary>
/// The operator's way out for a transfer held because its destination cannot tell whether the credit
/// landed (<c>scripts/audit.sh resolve-held-transfer</c>). Here the destination's state carries the
/// eviction floor a version without a journal left in it, so it answers every credit "expired".
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class HeldTransferResolutionTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private const string Reason = "test: established from the destination's backup";

    private const string Operator = "test-operator@ops";

    private async Task<long> BalanceAsync(string accountId) =>
        (await fixture.Grains.GetGrain<IAccountGrain>(accountId).GetSnapshot()).Balance;

    private async Task<(int ExitCode, string Output)> ResolveAsync(string source, Guid transferId, TransferState outcome)
    {
        using var output = new StringWriter();
        var exitCode = await new HeldTransferCommand(source, transferId, outcome, Reason, Operator).RunAsync(fixture.Cluster.Client, output);
        return (exitCode, output.ToString());
    }

    [Fact]
    public async Task ResolveHeldTransfer_DestinationCannotTell_RefundedOnce_RecordedAsTheOperatorsWord_RunAgainSaysAlready()
    {
        var (_, from) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        var to = await TestAccounts.OpenWhereCreditsCannotBeVerifiedAsync(fixture.Grains);
        var transferId = TestIds.NewOperationId();

        Assert.Equal(OperationStatus.Succeeded, (await fixture.Grains.GetGrain<ITransferGrain>(transferId).Start(from, to, 100)).Status);
        Assert.Equal(900, await BalanceAsync(from));

        var (exitCode, output) = await ResolveAsync(from, transferId, TransferState.Refunded);
        Assert.True(exitCode == 0, output);
        Assert.StartsWith("RESOLVED", output, StringComparison.Ordinal);
        Assert.Equal((1000L, 0L), (await BalanceAsync(from), await BalanceAsync(to)));
        Assert.Equal(TransferState.Refunded, (await TransferCompletion.WaitFinishedAsync(fixture.Grains, transferId, Timeout)).State);
        Assert.Contains($"credit {TransferRecordIds.Credit(transferId)} at {to}", output, StringComparison.Ordinal);

        // The history says whose word ended it, and why: the end and the refund, not the debit.
        var statement = await fixture.Grains.GetGrain<IAccountGrain>(from).GetStatement(0, 100);
        var byOperator = $"operator {Operator}: {Reason}";
        Assert.Equal(
            [(OperationKind.TransferFinished, (string?)byOperator), (OperationKind.TransferRefund, byOperator)],
            statement.Entries.Where(e => e.Kind is OperationKind.TransferFinished or OperationKind.TransferRefund).Select(e => (e.Kind, e.IssuedBy)));
        Assert.NotEqual(byOperator, statement.Entries.Single(e => e.OperationId == transferId).IssuedBy);

        // Once only. Run again (its answer was lost): the transfer already ended as asked, exit 0, and
        // the refund stays single. Asked the other way: nothing pending, exit 1.
        (exitCode, output) = await ResolveAsync(from, transferId, TransferState.Refunded);
        Assert.True(exitCode == 0, output);
        Assert.StartsWith("ALREADY Refunded", output, StringComparison.Ordinal);
        Assert.Contains($", ended by {byOperator}: nothing was changed", output, StringComparison.Ordinal);
        (exitCode, output) = await ResolveAsync(from, transferId, TransferState.Completed);
        Assert.Equal(1, exitCode);
        Assert.StartsWith("NOT PENDING", output, StringComparison.Ordinal);
        Assert.Equal(1000L, await BalanceAsync(from));
    }

    public static TheoryData<string?, string> UnrecordableAttributions => new()
    {
        { "ops", "" },
        { "ops", "two lines\nRESOLVED something else" },
        { "ops", "a line separator\u2028 inside" },
        { "ops", "a right-to-left \u202E override" },
        { "ops", "a zero-width\u200B space" },
        { "ops", new string('x', OperatorResolution.MaxReasonLength + 1) },
        { null, "the caller did not say who it is" },
        { "alice: approved by the CFO", "a name that reads as the reason" },
        { new string('a', OperatorResolution.MaxOperatorLength + 1), "a name too long" },
    };

    [Theory]
    [MemberData(nameof(UnrecordableAttributions))]
    public async Task ResolveHeldTransfer_AttributionThatCannotBeRecorded_RefusedByTheAccount_NothingChanged(string? issuer, string reason)
    {
        // The account's own check, for callers that are not the command (which refuses them before asking).
        var (_, from) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        var to = await TestAccounts.OpenWhereCreditsCannotBeVerifiedAsync(fixture.Grains);
        var transferId = TestIds.NewOperationId();
        Assert.Equal(OperationStatus.Succeeded, (await fixture.Grains.GetGrain<ITransferGrain>(transferId).Start(from, to, 100)).Status);
        var account = fixture.Grains.GetGrain<IAccountGrain>(from);

        Assert.Equal(HeldTransferResolutionStatus.InvalidReason, (await ResolveAsAsync(issuer, () => account.ResolveHeldTransfer(transferId, TransferState.Refunded, reason))).Status);
        Assert.Equal(900L, await BalanceAsync(from));
        Assert.Equal(TransferState.Pending, (await account.GetTransfer(transferId)).Transfer?.State);

        // The same transfer with an attribution that can be recorded: the refusal was the attribution's.
        Assert.Equal(HeldTransferResolutionStatus.Resolved, (await ResolveAsAsync("ops", () => account.ResolveHeldTransfer(transferId, TransferState.Refunded, "a plain reason"))).Status);
        Assert.Equal(1000L, await BalanceAsync(from));
    }

    /// <summary>Calls the account as <paramref name="issuer"/> would (the command sets it for the call), or as a caller that does not say.</summary>
    private static async Task<T> ResolveAsAsync<T>(string? issuer, Func<Task<T>> call)
    {
        if (issuer is not null)
        {
            RequestContext.Set(RequestContextKeys.IssuedBy, issuer);
        }

        try
        {
            return await call();
        }
        finally
        {
            RequestContext.Remove(RequestContextKeys.IssuedBy);
        }
    }

    [Fact]
    public async Task ResolveHeldTransfer_DestinationCredits_NeverOverriddenByTheOperator()
    {
        var (_, from) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        var (_, to) = await TestAccounts.OpenFundedAsync(fixture.Grains, 0);
        var transferId = TestIds.NewOperationId();
        var creditId = TransferDelivery.CreditId(transferId);

        // The credit's write is held at the destination, so the transfer is still pending when the
        // operator's resolution sends the credit again; the destination then answers "credited".
        var gate = StorageFaults.HoldWrites(to);
        var bothCredits = AccountCalls.WhenStarted(to, nameof(IAccountGrain.ReceiveTransfer), [creditId, creditId]);
        Task<(int ExitCode, string Output)> resolving;
        try
        {
            Assert.Equal(OperationStatus.Succeeded, (await fixture.Grains.GetGrain<ITransferGrain>(transferId).Start(from, to, 100)).Status);
            resolving = ResolveAsync(from, transferId, TransferState.Refunded);
            Assert.True(await bothCredits.WaitAsync(Timeout), "the credits did not wait for the destination's write");
        }
        finally
        {
            gate.SetResult();
        }

        var (exitCode, output) = await resolving;
        Assert.True(exitCode == 1, output);
        Assert.StartsWith("NOT HELD", output, StringComparison.Ordinal);
        Assert.Equal(TransferState.Completed, (await TransferCompletion.WaitFinishedAsync(fixture.Grains, transferId, Timeout)).State);
        Assert.Equal((900L, 100L), (await BalanceAsync(from), await BalanceAsync(to)));
    }

    [Theory]
    [InlineData("acct-1")]
    [InlineData("acct-1", "not-a-guid", "refunded", "why")]
    [InlineData("acct-1", "0193a3f0-0000-7000-8000-000000000000", "pending", "why")]
    [InlineData("acct-1", "0193a3f0-0000-7000-8000-000000000000", "refunded", " ")]
    [InlineData("--by", "alice", "acct-1", "0193a3f0-0000-7000-8000-000000000000", "refunded")]
    [InlineData("--by", "alice\nRESOLVED", "acct-1", "0193a3f0-0000-7000-8000-000000000000", "refunded", "why")]
    [InlineData("--by", "alice: approved by the CFO", "acct-1", "0193a3f0-0000-7000-8000-000000000000", "refunded", "why")]
    [InlineData("--by", "", "acct-1", "0193a3f0-0000-7000-8000-000000000000", "refunded", "why")]
    public void Parse_ArgumentsThatDoNotFit_UsageErrorAndNothingRuns(params string[] arguments)
    {
        Assert.Null(HeldTransferCommand.Parse(arguments, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Parse_ReasonWithAnUnpairedSurrogate_RefusedWhereItIsTyped()
    {
        // It never reaches the account as it is (the wire replaces it), and attribute data cannot carry it either.
        Assert.Null(HeldTransferCommand.Parse(["acct-1", "0193a3f0-0000-7000-8000-000000000000", "refunded", "an unpaired \uD800 surrogate"], out var error));
        Assert.Contains("surrogate", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OperatorNamedOrNot_TheReasonIsTheRest()
    {
        var named = HeldTransferCommand.Parse(["--by", "alice", "acct-1", "0193a3f0-0000-7000-8000-000000000000", "completed", "backup", "of", "bob"], out _);
        Assert.Equal(("acct-1", TransferState.Completed, "backup of bob"), (named?.Source, named?.Outcome, named?.Reason));

        Assert.Equal($"alice (run by {HeldTransferCommand.Runner})", named?.Operator);

        var unnamed = HeldTransferCommand.Parse(["acct-1", "0193a3f0-0000-7000-8000-000000000000", "refunded", "why"], out _);
        Assert.Equal(HeldTransferCommand.Runner, unnamed?.Operator);
    }
}
