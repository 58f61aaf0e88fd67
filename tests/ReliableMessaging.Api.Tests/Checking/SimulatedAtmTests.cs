using System.Diagnostics;
using ReliableMessaging.Api.Tests.Client;
using ReliableMessaging.Atm.Checking;
using ReliableMessaging.Atm.Reporting;
using ReliableMessaging.Atm.Simulation;

namespace ReliableMessaging.Api.Tests.Checking;

/// <summary>
/// The simulator's own judgement of each answer, against the real front end: an answer the client cannot
/// use is "unanswered" to the client (it settles nothing), but when it is the service answering the
/// wrong thing, the chaos run must report it, not wait it out.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SimulatedAtmTests(ApiFixture fixture)
{
    [Fact]
    public async Task Deposit_AnsweredWithAnotherOperationsRecord_ReportedAsAViolationNotLeftUnanswered()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA, options => options.ResolveUnanswered = false, pathSuffix: "/deposits");
        var foreign = Guid.CreateVersion7();
        harness.Wire.ReplaceResponsesWithJson(1,
            $$"""{"operationId":"{{foreign}}","accountId":"someone-else","kind":"deposit","amount":5,"balanceAfter":5,"status":"succeeded"}""");
        var journal = new OperationJournal();
        var atm = new SimulatedAtm("wrong-answer", accountCount: 1, operationsPerAccount: 0, thinkTime: TimeSpan.Zero, duplicateRate: 0, transferRatio: 0,
            harness.Client, journal, new RunCounters(), new ThroughputRecorder(Stopwatch.StartNew(), TimeSpan.FromSeconds(1)), seed: 7);
        Assert.True(await atm.OpenAccountsAsync(CancellationToken.None));

        // Until the replaced answer went by (the account starts empty: mostly deposits).
        using var stop = new CancellationTokenSource();
        var running = atm.RunAsync(stop.Token, CancellationToken.None);
        var deadline = Stopwatch.StartNew();
        while (harness.Wire.Attempts.Count(attempt => attempt.Path.EndsWith("/deposits", StringComparison.Ordinal)) < 3 && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await running;

        var violation = Assert.Single(journal.Violations);
        Assert.Equal("unexpected-answer", violation.Kind);
        Assert.Contains(foreign.ToString(), violation.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LateReplayCheck_RecordAnsweredAsFirst_Passes_AnswerChangedSinceIsAViolation()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA, options => options.ResolveUnanswered = false, pathSuffix: "/deposits");
        var journal = new OperationJournal();
        var accountId = $"late-{Guid.NewGuid():N}";
        await harness.Client.OpenAccountAsync(accountId);
        journal.AddAccount(accountId);
        foreach (var amount in new[] { 5, 7 })
        {
            var deposit = await harness.Client.DepositAsync(accountId, amount);
            journal.Add(deposit.Request).Answer = deposit;
        }

        var honest = new LateReplayCheck(harness.Client, journal);
        await honest.RunAsync(parallelism: 1, CancellationToken.None);
        Assert.Equal(2, honest.Compared);
        Assert.Empty(journal.Violations);

        // The record answers the first deposit with another balance than it did (a replay built from the wrong row).
        var first = journal.Entries.First();
        harness.Wire.ReplaceResponsesWithJson(1, first.Answer!.Body.Replace("\"balanceAfter\":5", "\"balanceAfter\":12", StringComparison.Ordinal));
        await new LateReplayCheck(harness.Client, journal, perAccount: 1).RunAsync(parallelism: 1, CancellationToken.None);

        var violation = Assert.Single(journal.Violations);
        Assert.Equal(("late-replay-differs", first.Intent.OperationId), (violation.Kind, violation.OperationId));
        Assert.Equal(12, await harness.BalanceAsync(accountId));
    }
}
