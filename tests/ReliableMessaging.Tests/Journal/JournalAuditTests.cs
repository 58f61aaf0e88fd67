using Npgsql;
using ReliableMessaging.Audit;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Journal;

/// <summary>The audit against a real cluster: it passes on honest accounts and names each one whose journal was tampered with.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JournalAuditTests(ClusterFixture fixture)
{
    private async Task<string> AccountWithHistoryAsync(int operations)
    {
        var (account, accountId) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        for (var i = 0; i < operations; i++)
        {
            await (i % 2 == 0 ? account.Withdraw(TestIds.NewOperationId(), 7) : account.Deposit(TestIds.NewOperationId(), 3));
        }

        return accountId;
    }

    private async Task<AuditReport> AuditAsync(params string[] accounts)
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        return await new JournalAudit(fixture.Grains, dataSource, fixture.ServiceId).RunAsync(accounts);
    }

    [Fact]
    public async Task Audit_HonestAccountsWithTransfersAcrossBothTiers_Passes()
    {
        var payer = await AccountWithHistoryAsync(40);
        var payee = await AccountWithHistoryAsync(3);
        var transferId = TestIds.NewOperationId();
        Assert.Equal(OperationStatus.Succeeded, (await fixture.Grains.GetGrain<ITransferGrain>(transferId).Start(payer, payee, 100)).Status);
        var never = TestIds.NewId();

        // Audit once the credit has landed, so the balances read afterwards are the audited ones.
        await TransferCompletion.WaitFinishedAsync(fixture.Grains, transferId, TimeSpan.FromSeconds(20));

        var report = await AuditAsync(payer, payee, never);

        Assert.True(report.Passed, string.Join("; ", report.Differences.Select(d => d.Reason).Concat(report.Unreachable)));
        Assert.Equal(2, report.AccountsChecked);
        var balances = (await fixture.Grains.GetGrain<IAccountGrain>(payer).GetSnapshot()).Balance
            + (await fixture.Grains.GetGrain<IAccountGrain>(payee).GetSnapshot()).Balance;
        Assert.Equal(balances, report.TotalBalance);
    }

    [Fact]
    public async Task Audit_JournalRowChangedOrDeleted_ReportsThatAccount()
    {
        var changed = await AccountWithHistoryAsync(10);
        var deleted = await AccountWithHistoryAsync(10);
        var honest = await AccountWithHistoryAsync(10);
        Assert.True((await AuditAsync(changed, deleted, honest)).Passed);

        await JournalTable.ExecuteAsync(fixture.Postgres,
            "UPDATE rm_operation_journal SET amount = amount + 1 WHERE service_id = $1 AND account_id = $2 AND sequence = 2", fixture.ServiceId, changed);
        await JournalTable.ExecuteAsync(fixture.Postgres,
            "DELETE FROM rm_operation_journal WHERE service_id = $1 AND account_id = $2 AND sequence = 5", fixture.ServiceId, deleted);

        var report = await AuditAsync(changed, deleted, honest);

        Assert.False(report.Passed);
        Assert.Equal(new[] { changed, deleted }.Order(StringComparer.Ordinal), report.Differences.Select(d => d.AccountId));
        Assert.Contains(report.Differences, d => d.AccountId == deleted && d.Reason.Contains("missing", StringComparison.Ordinal));
        Assert.Contains(report.Differences, d => d.AccountId == changed && d.Reason.Contains("sums to", StringComparison.Ordinal));
    }
}
