using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Orleans.Serialization;
using ReliableMessaging.Audit;
using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Silo.Journal;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Journal;

/// <summary>The audit against a real cluster: it passes on honest accounts and names each one whose journal was tampered with.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JournalAuditTests(ClusterFixture fixture)
{
    private Task<string> AccountWithHistoryAsync(int operations) => AccountWithHistoryAsync(fixture.Grains, operations);

    private static async Task<string> AccountWithHistoryAsync(IGrainFactory grains, int operations)
    {
        var (account, accountId) = await TestAccounts.OpenFundedAsync(grains, 1000);
        for (var i = 0; i < operations; i++)
        {
            await (i % 2 == 0 ? account.Withdraw(TestIds.NewOperationId(), 7) : account.Deposit(TestIds.NewOperationId(), 3));
        }

        return accountId;
    }

    private Task<AuditReport> AuditAsync(params string[] accounts) => AuditAsync(fixture.Grains, fixture.ServiceId, accounts);

    /// <summary>The audit of <paramref name="accounts"/>; of every account of the service when null.</summary>
    private async Task<AuditReport> AuditAsync(IGrainFactory grains, string serviceId, string[]? accounts)
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        return await new JournalAudit(grains, dataSource, serviceId).RunAsync(accounts);
    }

    [Fact]
    public async Task Audit_TransferHeldForAnOperator_ListedAsPendingPastTheAge_TheAuditStillPasses_AFinishedOneNot()
    {
        // The books balance with a held transfer in transfer, so the audit passes; but money that has
        // waited past the alert age is the operator's to see, in the audit too.
        var (_, from) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        var (_, paid) = await TestAccounts.OpenFundedAsync(fixture.Grains, 0);
        var held = await TestAccounts.OpenWhereCreditsCannotBeVerifiedAsync(fixture.Grains);
        var (heldId, paidId) = (TestIds.NewOperationId(), TestIds.NewOperationId());
        Assert.Equal(OperationStatus.Succeeded, (await fixture.Grains.GetGrain<ITransferGrain>(heldId).Start(from, held, 100)).Status);
        Assert.Equal(OperationStatus.Succeeded, (await fixture.Grains.GetGrain<ITransferGrain>(paidId).Start(from, paid, 50)).Status);
        Assert.Equal(TransferState.Completed, (await TransferCompletion.WaitFinishedAsync(fixture.Grains, paidId, TimeSpan.FromSeconds(30))).State);

        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        var report = await new JournalAudit(fixture.Grains, dataSource, fixture.ServiceId) { PendingAfter = TimeSpan.Zero }.RunAsync([from, held, paid]);

        Assert.True(report.Passed, string.Join("; ", report.Differences.Select(d => d.Reason)));
        var pending = Assert.Single(report.Pending);
        Assert.Equal((from, heldId, held, 100L), (pending.Source, pending.TransferId, pending.Destination, pending.Amount));

        // Younger than the age (the default, 5 minutes): not listed yet.
        Assert.Empty((await new JournalAudit(fixture.Grains, dataSource, fixture.ServiceId).RunAsync([from])).Pending);
    }

    [Fact]
    public async Task PendingTransfers_EndUnderTheIdEarlierVersionsStamped_OrDebitAtTheRetentionFloor_NotListed()
    {
        // An end journaled by a version that stamped derived IDs as UUIDv7 ends its transfer; a debit at the
        // pruning floor may have lost its end to an earlier prune batch. Neither is pending; the third is.
        var serviceId = $"pending-{Guid.NewGuid():N}";
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        await using var journal = new PostgresOperationJournal(dataSource, new JournalServiceId(serviceId), Options.Create(new AccountOptions()), NullLogger<PostgresOperationJournal>.Instance);
        var now = DateTimeOffset.UtcNow;
        var (atFloor, endedLongAgo, pending) = (TestIds.OperationIdAt(now.AddHours(-3)), TestIds.OperationIdAt(now.AddHours(-2)), TestIds.OperationIdAt(now.AddHours(-1)));
        await journal.AppendAsync("grace", [
            Debit(1, atFloor), Debit(2, endedLongAgo), Debit(3, pending),
            new(StampedAsVersion7(TransferRecordIds.Finished(endedLongAgo)), OperationKind.TransferFinished, 40, OperationStatus.Succeeded, 0, "heidi", TransferState.Completed)
            {
                Sequence = 4,
                RecordedUnixMs = now.AddHours(-2).ToUnixTimeMilliseconds(),
            }]);
        await JournalTable.ExecuteAsync(fixture.Postgres,
            "INSERT INTO rm_journal_retention (service_id, pruned_through_ms) VALUES ($1, $2)", serviceId, now.AddHours(-3).ToUnixTimeMilliseconds());

        var (oldest, count) = await new JournalAudit(fixture.Grains, dataSource, serviceId).PendingTransfersAsync(["grace"], now);

        Assert.Equal([pending], oldest.Select(transfer => transfer.TransferId));
        Assert.Equal(1, count);

        OperationRecord Debit(long sequence, Guid transferId) =>
            new(transferId, OperationKind.TransferOut, 40, OperationStatus.Succeeded, 0, "heidi", TransferState.Pending)
            {
                Sequence = sequence,
                RecordedUnixMs = Uuid7.GetTimestamp(transferId).ToUnixTimeMilliseconds(),
            };
    }

    /// <summary>A derived ID as versions before UUIDv8 stamped it, written here apart from the audit's own conversion.</summary>
    private static Guid StampedAsVersion7(Guid id)
    {
        var bytes = id.ToByteArray(bigEndian: true);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a one-silo cluster of a service of its own: an audit of every
    /// account sees only the accounts the test made, and a retention's floor (service-wide, and it only
    /// rises) stays out of the shared cluster's service. Stops the cluster after.
    /// </summary>
    private async Task WithOwnServiceAsync(string name, Func<IClusterClient, string, Task> body)
    {
        var serviceId = $"{name}-{Guid.NewGuid():N}";
        var cluster = await AccountCluster.StartAsync(fixture.Postgres, serviceId, silos: 1);
        try
        {
            await body(cluster.Client, serviceId);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
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

        // Both tiers: the payer's records have left its window for the journal, the transfer's newest are in both.
        await fixture.Grains.GetGrain<IAccountGrain>(payer).SyncJournal();
        Assert.True(await JournalTable.CountAsync(fixture.Postgres, fixture.ServiceId, payer) > AccountCluster.WindowSize);

        var report = await AuditAsync(payer, payee, never);

        Assert.True(report.Passed, string.Join("; ", report.Differences.Select(d => d.Reason).Concat(report.Unreachable)));
        Assert.Equal(2, report.AccountsChecked);
        var balances = (await fixture.Grains.GetGrain<IAccountGrain>(payer).GetSnapshot()).Balance
            + (await fixture.Grains.GetGrain<IAccountGrain>(payee).GetSnapshot()).Balance;
        Assert.Equal(balances, report.TotalBalance);
    }

    [Fact]
    public async Task Audit_OneAccountsJournalFailsWithAnError_ReportedAsAFinding_TheOthersStillAudited()
    {
        // Before, the error escaped the audit's loop and ended the whole run with no report at all.
        var honest = await AccountWithHistoryAsync(3);
        var broken = await AccountWithHistoryAsync(2);
        await fixture.Grains.GetGrain<IAccountGrain>(broken).SyncJournal();
        JournalFaults.Break(broken, new Grains.Journal.JournalUnavailableException("Injected: the journal refused the rows.", isRefusal: true));
        try
        {
            await fixture.Grains.GetGrain<IAccountGrain>(broken).Deposit(TestIds.NewOperationId(), 1);

            var report = await AuditAsync(honest, broken);

            Assert.False(report.Passed);
            Assert.Equal(1, report.AccountsChecked);
            var finding = Assert.Single(report.Differences);
            Assert.Equal(broken, finding.AccountId);
            Assert.Contains("Injected: the journal refused the rows.", finding.Reason, StringComparison.Ordinal);
            Assert.Empty(report.Unreachable);
        }
        finally
        {
            JournalFaults.Restore(broken);
        }
    }

    [Fact]
    public async Task Audit_OnlyTheDestinationOfACompletedTransfer_NegativeInTransferIsNoFinding()
    {
        // A subset sees the credit without its debit: only an audit of every account may call that created money.
        var payer = await AccountWithHistoryAsync(2);
        var payee = await AccountWithHistoryAsync(2);
        var transferId = TestIds.NewOperationId();
        Assert.Equal(OperationStatus.Succeeded, (await fixture.Grains.GetGrain<ITransferGrain>(transferId).Start(payer, payee, 100)).Status);
        await TransferCompletion.WaitFinishedAsync(fixture.Grains, transferId, TimeSpan.FromSeconds(20));

        var report = await AuditAsync(payee);

        Assert.Equal(-100, report.InTransfer);
        Assert.False(report.MoneyCreated);
        Assert.True(report.Passed);
    }

    [Fact]
    public Task Audit_NoAccountsNamed_CoversEveryAccount_ANamedListDoesNot() => WithOwnServiceAsync("audit-all", async (grains, serviceId) =>
    {
        // The money-created check needs both ends of every transfer: only the whole service has them.
        // Every account is found by its state row or by its journal: one changed, one whose state is gone.
        var honest = await AccountWithHistoryAsync(grains, 3);
        var changed = await AccountWithHistoryAsync(grains, 3);
        var stateLost = await AccountWithHistoryAsync(grains, 3);
        // Opened, never used: a state row and no journal row at all. One of them then gets money from nowhere.
        var (quiet, quietRewritten) = (TestIds.NewId(), TestIds.NewId());
        await grains.GetGrain<IAccountGrain>(quiet).Open();
        await grains.GetGrain<IAccountGrain>(quietRewritten).Open();
        Assert.Equal(5, (await AuditAsync(grains, serviceId, [honest, changed, stateLost, quiet, quietRewritten])).AccountsChecked);
        Assert.Equal(0, await RaiseStoredBalanceAsync(serviceId, quietRewritten, 500));
        await RetireAsync(grains.GetGrain<IAccountGrain>(quietRewritten));
        await JournalTable.ExecuteAsync(fixture.Postgres,
            "UPDATE rm_operation_journal SET amount = amount + 1 WHERE service_id = $1 AND account_id = $2 AND sequence = 2", serviceId, changed);
        await DeleteStateRowAsync(grains, serviceId, stateLost);

        var whole = await AuditAsync(grains, serviceId, null);
        var listed = await AuditAsync(grains, serviceId, [honest]);

        Assert.True(whole.EveryAccount);
        Assert.Equal(4, whole.AccountsChecked);
        Assert.Equal(new[] { changed, stateLost, quietRewritten }.Order(StringComparer.Ordinal), whole.Differences.Select(d => d.AccountId));
        Assert.Equal((false, 1, true), (listed.EveryAccount, listed.AccountsChecked, listed.Passed));
    });

    [Fact]
    public void AuditReport_EveryAccountAuditedAndMoreCreditedAndRefundedThanDebited_FailsAsMoneyCreated()
    {
        // Each account can agree with its own journal while a transfer was credited and refunded.
        var created = new AuditReport(2, [], [], 300, InTransfer: -100, EveryAccount: true);
        var settled = created with { InTransfer = 0 };
        var inFlight = created with { InTransfer = 100 };

        Assert.True(created.MoneyCreated);
        Assert.False(created.Passed);
        Assert.True(settled.Passed);
        Assert.True(inFlight.Passed);
    }

    [Fact]
    public async Task UnsettledTransfers_OnlyATransferWithBothRecordsIsMoneyCreated()
    {
        // Each account's journal agrees with its balance, and a held transfer elsewhere keeps the
        // service-wide sum positive: only pairing each debit's credit and refund finds the money created.
        var serviceId = $"audit-{Guid.NewGuid():N}";
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        await using var journal = new PostgresOperationJournal(dataSource, new JournalServiceId(serviceId), Options.Create(new AccountOptions()), NullLogger<PostgresOperationJournal>.Instance);
        var (created, completed, refunded, held) = (TestIds.NewOperationId(), TestIds.NewOperationId(), TestIds.NewOperationId(), TestIds.NewOperationId());
        await journal.AppendAsync("alice", [
            Row(1, created, OperationKind.TransferOut, 100, "bob"), Row(2, completed, OperationKind.TransferOut, 50, "bob"),
            Row(3, refunded, OperationKind.TransferOut, 20, "bob"), Row(4, held, OperationKind.TransferOut, 500, "bob"),
            Row(5, TransferRecordIds.Refund(created), OperationKind.TransferRefund, 100, "bob"), Row(6, TransferRecordIds.Refund(refunded), OperationKind.TransferRefund, 20, "bob")]);
        await journal.AppendAsync("bob", [
            Row(1, TransferRecordIds.Credit(created), OperationKind.TransferIn, 100, "alice"), Row(2, TransferRecordIds.Credit(completed), OperationKind.TransferIn, 50, "alice")]);
        var audit = new JournalAudit(fixture.Grains, dataSource, serviceId);

        var difference = Assert.Single(await audit.UnsettledTransfersAsync());

        Assert.Equal("alice", difference.AccountId);
        Assert.Contains($"transfer {created} of 100 to bob", difference.Reason, StringComparison.Ordinal);
        Assert.Single(await audit.UnsettledTransfersAsync(["alice"]));
        Assert.Empty(await audit.UnsettledTransfersAsync(["bob"]));

        static OperationRecord Row(long sequence, Guid id, OperationKind kind, long amount, string counterparty) =>
            new(id, kind, amount, OperationStatus.Succeeded, 0, counterparty, kind == OperationKind.TransferOut ? TransferState.Pending : null)
            {
                Sequence = sequence,
                RecordedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            };
    }

    [Fact]
    public async Task UnsettledTransfers_FinishedWithoutTheirCreditOrRefundOrWithAnotherAmount_EachReported_PendingAndRecentOnesNot()
    {
        // Each account's journal agrees with its balance in every case: only the transfer's records, read
        // together, show money that left one account and reached none.
        var serviceId = $"audit-{Guid.NewGuid():N}";
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        await using var journal = new PostgresOperationJournal(dataSource, new JournalServiceId(serviceId), Options.Create(new AccountOptions()), NullLogger<PostgresOperationJournal>.Instance);
        var earlier = DateTimeOffset.UtcNow.AddMinutes(-10);
        var (lost, unrefunded, shortCredit, settled, refunded, pending, recent) = (TestIds.NewOperationId(), TestIds.NewOperationId(), TestIds.NewOperationId(),
            TestIds.NewOperationId(), TestIds.NewOperationId(), TestIds.NewOperationId(), TestIds.NewOperationId());
        var shortRefund = TestIds.NewOperationId();
        await journal.AppendAsync("alice", [
            Row(1, lost, OperationKind.TransferOut, 100, earlier), Row(2, Finished(lost), OperationKind.TransferFinished, 100, earlier, TransferState.Completed),
            Row(3, unrefunded, OperationKind.TransferOut, 20, earlier), Row(4, Finished(unrefunded), OperationKind.TransferFinished, 20, earlier, TransferState.Refunded),
            Row(5, shortCredit, OperationKind.TransferOut, 50, earlier), Row(6, Finished(shortCredit), OperationKind.TransferFinished, 50, earlier, TransferState.Completed),
            Row(7, settled, OperationKind.TransferOut, 30, earlier), Row(8, Finished(settled), OperationKind.TransferFinished, 30, earlier, TransferState.Completed),
            Row(9, refunded, OperationKind.TransferOut, 40, earlier), Row(10, TransferRecordIds.Refund(refunded), OperationKind.TransferRefund, 40, earlier),
            Row(11, Finished(refunded), OperationKind.TransferFinished, 40, earlier, TransferState.Refunded),
            Row(12, pending, OperationKind.TransferOut, 60, earlier),
            Row(13, shortRefund, OperationKind.TransferOut, 80, earlier), Row(14, TransferRecordIds.Refund(shortRefund), OperationKind.TransferRefund, 75, earlier),
            Row(15, Finished(shortRefund), OperationKind.TransferFinished, 80, earlier, TransferState.Refunded),
            // Finished a moment ago: its credit may still be on its way into the destination's journal.
            Row(16, recent, OperationKind.TransferOut, 70, earlier), Row(17, Finished(recent), OperationKind.TransferFinished, 70, DateTimeOffset.UtcNow, TransferState.Completed)]);
        await journal.AppendAsync("bob", [
            Row(1, TransferRecordIds.Credit(shortCredit), OperationKind.TransferIn, 45, earlier), Row(2, TransferRecordIds.Credit(settled), OperationKind.TransferIn, 30, earlier)]);
        var audit = new JournalAudit(fixture.Grains, dataSource, serviceId);

        var found = await audit.UnsettledTransfersAsync();

        Assert.Equal(4, found.Count);
        Assert.Contains(found, d => d.Reason.Contains($"transfer {shortRefund} of 80 to bob was refunded here with 75, not the 80 debited", StringComparison.Ordinal));
        Assert.All(found, difference => Assert.Equal("alice", difference.AccountId));
        // Only once the accounts that should hold them were asked to journal everything (one not audited may hold its credit still).
        Assert.Contains(found, d => d.Reason.Contains($"transfer {lost} of 100 to bob finished here as completed, but no credit at bob is recorded: money that left", StringComparison.Ordinal));
        Assert.Contains(found, d => d.Reason.Contains($"transfer {unrefunded} of 20 to bob finished here as refunded, but no refund here is recorded", StringComparison.Ordinal));
        Assert.Contains(found, d => d.Reason.Contains($"transfer {shortCredit} of 50 to bob was credited there with 45, not the 50 debited here", StringComparison.Ordinal));

        static Guid Finished(Guid transferId) => TransferRecordIds.Finished(transferId);

        static OperationRecord Row(long sequence, Guid id, OperationKind kind, long amount, DateTimeOffset recorded, TransferState? state = null) =>
            new(id, kind, amount, OperationStatus.Succeeded, 0, kind == OperationKind.TransferIn ? "alice" : "bob", kind == OperationKind.TransferOut ? TransferState.Pending : state)
            {
                Sequence = sequence,
                RecordedUnixMs = recorded.ToUnixTimeMilliseconds(),
            };
    }

    [Fact]
    public async Task UnbackedCredits_CreditOrRefundWithoutItsDebit_ReportedAsMoneyCreated_WhileAnotherTransferIsInFlight()
    {
        // Each account's journal agrees with its balance, and a transfer still in flight keeps the
        // service-wide sum positive: only looking for each credit's and refund's debit finds them.
        var serviceId = $"audit-{Guid.NewGuid():N}";
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        await using var journal = new PostgresOperationJournal(dataSource, new JournalServiceId(serviceId), Options.Create(new AccountOptions()), NullLogger<PostgresOperationJournal>.Instance);
        var (credited, refunded, inFlight, forged, forgedRefund, elsewhere, inflated, legacy) = (TestIds.NewOperationId(), TestIds.NewOperationId(), TestIds.NewOperationId(),
            TestIds.NewOperationId(), TestIds.NewOperationId(), TestIds.NewOperationId(), TestIds.NewOperationId(), TestIds.NewOperationId());
        // A debit of the same millisecond as a forged credit, of another transfer: the prefix alone proves nothing.
        var sameMillisecond = TestIds.OperationIdAt(DateTimeOffset.FromUnixTimeMilliseconds(Uuid7.GetUnixTimeMilliseconds(forged)));
        var notDerived = TestIds.NewOperationId();
        await journal.AppendAsync("alice", [
            Row(1, credited, OperationKind.TransferOut, 100, "bob"), Row(2, refunded, OperationKind.TransferOut, 20, "bob"),
            Row(3, TransferRecordIds.Refund(refunded), OperationKind.TransferRefund, 20, "bob"), Row(4, inFlight, OperationKind.TransferOut, 500, "bob"),
            Row(5, sameMillisecond, OperationKind.TransferOut, 7, "bob"), Row(6, elsewhere, OperationKind.TransferOut, 30, "carol"),
            Row(7, TransferRecordIds.Refund(forgedRefund), OperationKind.TransferRefund, 40, "bob"),
            Row(8, inflated, OperationKind.TransferOut, 10, "bob"), Row(9, legacy, OperationKind.TransferOut, 15, "bob")]);
        await journal.AppendAsync("bob", [
            Row(1, TransferRecordIds.Credit(credited), OperationKind.TransferIn, 100, "alice"),
            Row(2, TransferRecordIds.Credit(forged), OperationKind.TransferIn, 60, "alice"),
            // Debited at alice for carol: a credit of it at bob is backed by nothing.
            Row(3, TransferRecordIds.Credit(elsewhere), OperationKind.TransferIn, 30, "alice"),
            Row(4, TransferRecordIds.Credit(inflated), OperationKind.TransferIn, 1000, "alice"),
            // Stamped as versions before UUID version 8 derived credits: backed by its debit all the same.
            Row(5, StampedAsVersion7(TransferRecordIds.Credit(legacy)), OperationKind.TransferIn, 15, "alice"),
            Row(6, notDerived, OperationKind.TransferIn, 5, "alice")]);
        var check = new UnbackedCreditCheck(fixture.Grains, dataSource, serviceId);

        var found = await check.RunAsync();

        Assert.Equal(5, found.Count);
        Assert.Contains(found, d => d.AccountId == "bob" && d.Reason == $"the credit {TransferRecordIds.Credit(forged)} of 60 from alice is backed by no transfer debited at alice: money created");
        Assert.Contains(found, d => d.AccountId == "bob" && d.Reason.StartsWith($"the credit {TransferRecordIds.Credit(elsewhere)} of 30 from alice is backed by no", StringComparison.Ordinal));
        Assert.Contains(found, d => d.AccountId == "bob" && d.Reason == $"the credit {TransferRecordIds.Credit(inflated)} of 1000 from alice does not match its transfer's debit of 10 at alice");
        Assert.Contains(found, d => d.AccountId == "bob" && d.Reason.StartsWith($"the credit {notDerived} of 5 from alice is backed by no", StringComparison.Ordinal));
        Assert.Contains(found, d => d.AccountId == "alice" && d.Reason == $"the refund {TransferRecordIds.Refund(forgedRefund)} of 40 of a transfer to bob is backed by no transfer debited at alice: money created");
        Assert.Equal(["alice"], (await check.RunAsync(["alice", "carol"])).Select(d => d.AccountId));
        Assert.Equal(4, (await check.RunAsync(["bob"])).Count);

        static OperationRecord Row(long sequence, Guid id, OperationKind kind, long amount, string counterparty) =>
            new(id, kind, amount, OperationStatus.Succeeded, 0, counterparty, kind == OperationKind.TransferOut ? TransferState.Pending : null)
            {
                Sequence = sequence,
                RecordedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            };
    }

    [Fact]
    public async Task UnbackedCredits_DebitsAnUpgradeOrThePruningCouldHaveTaken_NotChecked_LaterOnesAre()
    {
        // dave was upgraded from before the journal: its old window could drop a debit before the upgrade
        // numbered what remained (recorded at the epoch), so credits of transfers up to its newest such
        // record cannot be checked; eve's rows below the pruning floor are gone. Neither is money created.
        var serviceId = $"audit-{Guid.NewGuid():N}";
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        await using var journal = new PostgresOperationJournal(dataSource, new JournalServiceId(serviceId), Options.Create(new AccountOptions()), NullLogger<PostgresOperationJournal>.Instance);
        var now = DateTimeOffset.UtcNow;
        var (beforeUpgrade, lastUpgraded, afterUpgrade) = (TestIds.OperationIdAt(now.AddHours(-3)), TestIds.OperationIdAt(now.AddHours(-2)), TestIds.OperationIdAt(now.AddHours(-1)));
        var (pruned, kept) = (TestIds.OperationIdAt(now.AddDays(-3)), TestIds.OperationIdAt(now.AddDays(-1)));
        await journal.AppendAsync("dave", [
            Row(1, TestIds.OperationIdAt(now.AddHours(-4)), OperationKind.Deposit, 1000, null, upgraded: true),
            Row(2, lastUpgraded, OperationKind.Withdrawal, 10, null, upgraded: true)]);
        await journal.AppendAsync("frank", [
            Row(1, TransferRecordIds.Credit(beforeUpgrade), OperationKind.TransferIn, 70, "dave"),
            Row(2, TransferRecordIds.Credit(afterUpgrade), OperationKind.TransferIn, 80, "dave"),
            Row(3, TransferRecordIds.Credit(pruned), OperationKind.TransferIn, 90, "eve"),
            Row(4, TransferRecordIds.Credit(kept), OperationKind.TransferIn, 95, "eve")]);
        await JournalTable.ExecuteAsync(fixture.Postgres,
            "INSERT INTO rm_journal_retention (service_id, pruned_through_ms) VALUES ($1, $2)", serviceId, now.AddDays(-2).ToUnixTimeMilliseconds());

        var found = await new UnbackedCreditCheck(fixture.Grains, dataSource, serviceId).RunAsync();

        Assert.Equal(
            new[]
            {
                $"the credit {TransferRecordIds.Credit(afterUpgrade)} of 80 from dave is backed by no transfer debited at dave: money created",
                $"the credit {TransferRecordIds.Credit(kept)} of 95 from eve is backed by no transfer debited at eve: money created",
            }.Order(StringComparer.Ordinal),
            found.Select(d => d.Reason).Order(StringComparer.Ordinal));

        OperationRecord Row(long sequence, Guid id, OperationKind kind, long amount, string? counterparty, bool upgraded = false) =>
            new(id, kind, amount, OperationStatus.Succeeded, 0, counterparty, null)
            {
                Sequence = sequence,
                RecordedUnixMs = upgraded ? 0 : now.ToUnixTimeMilliseconds(),
            };
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
        // Inside the retention only the tables' owner can delete a row, past the trigger that refuses it
        // (ApplicationRoleTests): an operator's (or a superuser's) tampering, which the audit must still see.
        await JournalTable.ExecutePastTriggersAsync(fixture.Postgres,
            "DELETE FROM rm_operation_journal WHERE service_id = $1 AND account_id = $2 AND sequence = 5", fixture.ServiceId, deleted);

        var report = await AuditAsync(changed, deleted, honest);

        Assert.False(report.Passed);
        Assert.Equal(new[] { changed, deleted }.Order(StringComparer.Ordinal), report.Differences.Select(d => d.AccountId));
        Assert.Contains(report.Differences, d => d.AccountId == deleted && d.Reason.Contains("missing", StringComparison.Ordinal));
        Assert.Contains(report.Differences, d => d.AccountId == changed && d.Reason.Contains("sums to", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Audit_TwoRowsChangedByOppositeAmounts_ReportsTheFirstRecordWhoseBalanceNoLongerFollows()
    {
        // The sum and the newest balance stay as they were: only the chain of balances shows the edit.
        var accountId = await AccountWithHistoryAsync(10);
        await fixture.Grains.GetGrain<IAccountGrain>(accountId).SyncJournal();
        Assert.True((await AuditAsync(accountId)).Passed);

        await JournalTable.ExecuteAsync(fixture.Postgres,
            "UPDATE rm_operation_journal SET amount = amount + CASE sequence WHEN 3 THEN 5 ELSE -5 END WHERE service_id = $1 AND account_id = $2 AND sequence IN (3, 5)",
            fixture.ServiceId, accountId);

        var difference = Assert.Single((await AuditAsync(accountId)).Differences);
        Assert.Equal(accountId, difference.AccountId);
        Assert.Contains("record 3's balance", difference.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_BalanceRewrittenAndThePrunedTallyRaisedToMatch_ThenOneDeposit_Reported()
    {
        // What the application's credentials can do: rewrite a stored balance, raise the account's pruned
        // tally by as much (the tally's net effect may change either way), and let a customer's next
        // operation journal the new balance. The sum and the newest balance then agree with it.
        var (account, accountId) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        await account.Withdraw(TestIds.NewOperationId(), 10);
        await account.SyncJournal();
        Assert.Equal(990, await RaiseStoredBalanceAsync(fixture.ServiceId, accountId, 1_000_000));
        Assert.Equal(1, await JournalTable.ExecuteAsync(fixture.Postgres,
            "INSERT INTO rm_journal_pruned (service_id, account_id, records, net_effect) VALUES ($1, $2, 0, 1000000)", fixture.ServiceId, accountId));
        await RetireAsync(account);
        Assert.Equal(OperationStatus.Succeeded, (await account.Deposit(TestIds.NewOperationId(), 5)).Status);
        Assert.Equal(1_000_995, (await account.SyncJournal()).Balance);

        var difference = Assert.Single((await AuditAsync(accountId)).Differences);
        Assert.Equal(accountId, difference.AccountId);
        Assert.Contains("record 1's balance", difference.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_AccountUpgradedFromBeforeTheJournal_ItsRecordsOutOfOrder_PassesOnceTheOwnerCarriesItsHistory()
    {
        // The old window kept records in ID order, not in the order they ran: here a withdrawal with the
        // newer ID ran first (1,050 -> 1,000), then a deposit with the older one (-> 1,100). The upgrade
        // numbers them in ID order, recorded at the epoch, so their balances do not chain; what ran before
        // them is the owner's tally (records 0, net effect the balance minus the journal's sum).
        var accountId = TestIds.NewId();
        var account = fixture.Grains.GetGrain<IAccountGrain>(accountId);
        Assert.Equal(OpenAccountStatus.Opened, (await account.Open()).Status);
        var ran = DateTimeOffset.UtcNow.AddMinutes(-10);
        await RewriteStoredStateAsync(fixture.ServiceId, accountId, state =>
        {
            state.Balance = 1100;
            state.LastSequence = 0;
            state.JournaledThrough = 0;
            state.Operations =
            [
                new OperationRecord(TestIds.OperationIdAt(ran), OperationKind.Deposit, 100, OperationStatus.Succeeded, 1100),
                new OperationRecord(TestIds.OperationIdAt(ran.AddSeconds(1)), OperationKind.Withdrawal, 50, OperationStatus.Succeeded, 1000),
            ];
        });
        await RetireAsync(account);
        var upgraded = await account.SyncJournal();
        Assert.Equal((1100L, 2L), (upgraded.Balance, upgraded.LastSequence));
        Assert.Equal(2L, await fixture.Postgres.QueryScalarAsync<long>(
            "SELECT count(*) FROM rm_operation_journal WHERE service_id = @service AND account_id = @key AND recorded_at = timestamptz 'epoch'",
            ("service", fixture.ServiceId), ("key", accountId)));
        Assert.Equal(1, await JournalTable.ExecuteAsync(fixture.Postgres,
            "INSERT INTO rm_journal_pruned (service_id, account_id, records, net_effect) VALUES ($1, $2, 0, 1050)", fixture.ServiceId, accountId));
        Assert.Equal(OperationStatus.Succeeded, (await account.Deposit(TestIds.NewOperationId(), 5)).Status);

        var report = await AuditAsync(accountId);

        Assert.True(report.Passed, string.Join("; ", report.Differences.Select(d => d.Reason).Concat(report.Unreachable)));
    }

    [Fact]
    public async Task UnbackedCredits_DebitStillOnlyInTheSourcesWindow_TheSourceIsAskedToJournalIt_NotReported()
    {
        // The credit is journaled at the destination while the source's append of the debit is held: the
        // first look finds no debit, and only asking the source to journal what it holds settles it.
        var (_, sourceId) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        var (destination, destinationId) = await TestAccounts.OpenFundedAsync(fixture.Grains, 0);
        var held = JournalFaults.HoldAppends(sourceId);
        try
        {
            var transferId = TestIds.NewOperationId();
            Assert.Equal(OperationStatus.Succeeded, (await fixture.Grains.GetGrain<ITransferGrain>(transferId).Start(sourceId, destinationId, 100)).Status);
            await Eventually.ReachedAsync(async () => (await destination.GetSnapshot()).Balance, balance => balance == 100, TimeSpan.FromSeconds(30), balance => $"balance {balance}");
            await destination.SyncJournal();
            await held.Holding.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, await JournalTable.CountAsync(fixture.Postgres, fixture.ServiceId, sourceId, transferId));
            Assert.Equal(1, await JournalTable.CountAsync(fixture.Postgres, fixture.ServiceId, destinationId, TransferRecordIds.Credit(transferId)));
            await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);

            var check = new UnbackedCreditCheck(fixture.Grains, dataSource, fixture.ServiceId).RunAsync([destinationId]);
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            Assert.False(check.IsCompleted, "the check did not wait for the source to journal its debit");
            held.Open();

            Assert.Empty(await check.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(1, await JournalTable.CountAsync(fixture.Postgres, fixture.ServiceId, sourceId, transferId));
        }
        finally
        {
            held.Open();
        }
    }

    [Fact]
    public async Task Audit_AccountStateLost_ReportsTheJournalWithoutItsAccount()
    {
        var lost = await AccountWithHistoryAsync(10);
        var honest = await AccountWithHistoryAsync(10);
        Assert.True((await AuditAsync(lost, honest)).Passed);

        await DeleteStateRowAsync(lost);

        var report = await AuditAsync(lost, honest);

        var difference = Assert.Single(report.Differences);
        Assert.Equal(lost, difference.AccountId);
        Assert.Contains("no state", difference.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_AccountStateWentBackBehindItsJournal_ReportsThatAccount()
    {
        var (account, accountId) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        await account.Withdraw(TestIds.NewOperationId(), 10);
        await account.SyncJournal();
        var saved = await fixture.Postgres.QueryScalarAsync<byte[]>(
            "SELECT payloadbinary FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @key",
            ("service", fixture.ServiceId), ("key", accountId));
        for (var i = 0; i < 5; i++)
        {
            await account.Withdraw(TestIds.NewOperationId(), 10);
        }

        Assert.True((await AuditAsync(accountId)).Passed);

        // A restore from an older copy of the row: the balance is back at 990, the journal says 940.
        await fixture.Postgres.QueryScalarAsync<int>(
            "UPDATE orleansstorage SET payloadbinary = @payload, version = version + 1 WHERE serviceid = @service AND grainidextensionstring = @key RETURNING version",
            ("payload", saved), ("service", fixture.ServiceId), ("key", accountId));
        await RetireAsync(account);

        var report = await AuditAsync(accountId);

        var difference = Assert.Single(report.Differences);
        Assert.Equal(990, difference.Balance);
        Assert.Contains("went back", difference.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public Task Retention_OldRecordsPruned_AuditPassesAndTheStatementTalliesThemOnce_AlsoAfterAReactivationResendsThem() =>
        WithOwnServiceAsync("retention", async (grains, serviceId) =>
    {
        // A quiet account: its newest records are old ones, still in its window (and, its last batch
        // unconfirmed in its stored state, re-sent by its next activation) when the retention prunes them.
        var accountId = TestIds.NewId();
        var account = grains.GetGrain<IAccountGrain>(accountId);
        await account.Open();
        Assert.Equal(OperationStatus.Succeeded, (await account.Deposit(TestIds.NewOperationId(), 1000)).Status);
        Assert.Equal(OperationStatus.Succeeded, (await account.Withdraw(TestIds.NewOperationId(), 7)).Status);
        Assert.Equal(OperationStatus.Succeeded, (await account.Withdraw(TestIds.NewOperationId(), 7)).Status);
        var start = DateTimeOffset.UtcNow;
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(OperationStatus.Succeeded, (await account.Deposit(TestIds.OperationIdAt(start.AddMinutes(-25).AddMilliseconds(i)), 100 + i)).Status);
        }

        await account.SyncJournal();
        await RecordedWhenTheirIdsSayAsync(serviceId, account, accountId, 4, 8);

        // A pruner whose retention puts the floor 24 minutes back: the service's only rows that old are these five.
        // (Not a clock ahead: the pruner never raises the floor above the database's clock minus its retention.)
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        var options = Options.Create(new AccountOptions { JournalRetention = TimeSpan.FromMinutes(24), MaxOperationAge = TimeSpan.FromMinutes(12) });
        var pruner = new JournalPruner(dataSource, new JournalServiceId(serviceId), options, new FakeTimeProvider(start), NullLogger<JournalPruner>.Instance);
        Assert.Equal(5, await pruner.PruneAsync(CancellationToken.None));

        await AssertTalliedOnceAsync();

        // A new activation re-sends the records its stored state does not know as journaled: the pruned
        // ones must not come back (they would be counted twice).
        await fixture.Postgres.QueryScalarAsync<int>(
            "UPDATE orleansstorage SET version = version + 1 WHERE serviceid = @service AND grainidextensionstring = @key RETURNING version",
            ("service", serviceId), ("key", accountId));
        await RetireAsync(account);
        await account.SyncJournal();

        await AssertTalliedOnceAsync();

        // Record 9's predecessor was pruned: it starts the balance chain again, as record 4 would after a gap.
        Assert.Equal(OperationStatus.Succeeded, (await account.Deposit(TestIds.NewOperationId(), 1)).Status);
        await account.SyncJournal();
        var later = await AuditAsync(grains, serviceId, [accountId]);
        Assert.True(later.Passed, string.Join("; ", later.Differences.Select(d => d.Reason).Concat(later.Unreachable)));

        async Task AssertTalliedOnceAsync()
        {
            var report = await AuditAsync(grains, serviceId, [accountId]);
            var statement = await account.GetStatement(0, 100);

            Assert.True(report.Passed, string.Join("; ", report.Differences.Select(d => d.Reason).Concat(report.Unreachable)));
            Assert.Equal([1L, 2, 3], statement.Entries.Select(e => e.Sequence));
            Assert.Equal((5L, 510L), (statement.PrunedRecords, statement.PrunedEffect));
            Assert.Equal(1000 - 14 + 510, statement.Balance);
            Assert.Equal(statement.Balance, statement.PrunedEffect + statement.Entries.Sum(e => e.BalanceEffect));
        }
    });

    /// <summary>
    /// Makes records <paramref name="from"/> to <paramref name="through"/> look recorded when their IDs
    /// say, in the stored window and the journal alike, as a silo would have written them back then (the
    /// retention prunes a record only once its ID and its recording are both past it).
    /// </summary>
    private async Task RecordedWhenTheirIdsSayAsync(string serviceId, IAccountGrain account, string accountId, long from, long through)
    {
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var stored = await fixture.Postgres.QueryScalarAsync<byte[]>(
            "SELECT payloadbinary FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @key",
            ("service", serviceId), ("key", accountId));
        var state = serializer.Deserialize<AccountState>(stored) ?? throw new InvalidOperationException("No stored state.");
        var backdated = 0;
        for (var i = 0; i < state.Operations.Count; i++)
        {
            if (state.Operations[i] is { Sequence: var sequence } record && sequence >= from && sequence <= through)
            {
                state.Operations[i] = record with { RecordedUnixMs = Uuid7.GetUnixTimeMilliseconds(record.OperationId) };
                backdated++;
            }
        }

        Assert.Equal(through - from + 1, backdated);
        await fixture.Postgres.QueryScalarAsync<int>(
            "UPDATE orleansstorage SET payloadbinary = @payload, version = version + 1 WHERE serviceid = @service AND grainidextensionstring = @key RETURNING version",
            ("payload", serializer.SerializeToArray(state)), ("service", serviceId), ("key", accountId));
        var rows = await JournalTable.ExecuteAsync(fixture.Postgres,
            "UPDATE rm_operation_journal SET recorded_at = timestamptz 'epoch' + operation_time_ms * interval '1 millisecond' WHERE service_id = $1 AND account_id = $2 AND sequence BETWEEN $3 AND $4",
            serviceId, accountId, from, through);
        Assert.Equal(through - from + 1, rows);
        await RetireAsync(account);
    }

    /// <summary>Adds <paramref name="amount"/> to the account's stored balance, as whoever can write its row could; returns the balance it had.</summary>
    private async Task<long> RaiseStoredBalanceAsync(string serviceId, string accountId, long amount)
    {
        long before = 0;
        await RewriteStoredStateAsync(serviceId, accountId, state =>
        {
            before = state.Balance;
            state.Balance += amount;
        });
        return before;
    }

    /// <summary>Changes the account's stored state with <paramref name="change"/> (its activation then meets a conflict on its next write).</summary>
    private async Task RewriteStoredStateAsync(string serviceId, string accountId, Action<AccountState> change)
    {
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var stored = await fixture.Postgres.QueryScalarAsync<byte[]>(
            "SELECT payloadbinary FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @key",
            ("service", serviceId), ("key", accountId));
        var state = serializer.Deserialize<AccountState>(stored) ?? throw new InvalidOperationException("No stored state.");
        change(state);
        await fixture.Postgres.QueryScalarAsync<int>(
            "UPDATE orleansstorage SET payloadbinary = @payload, version = version + 1 WHERE serviceid = @service AND grainidextensionstring = @key RETURNING version",
            ("payload", serializer.SerializeToArray(state)), ("service", serviceId), ("key", accountId));
    }

    private Task DeleteStateRowAsync(string accountId) => DeleteStateRowAsync(fixture.Grains, fixture.ServiceId, accountId);

    private async Task DeleteStateRowAsync(IGrainFactory grains, string serviceId, string accountId)
    {
        var deleted = await fixture.Postgres.QueryScalarAsync<long>(
            "WITH gone AS (DELETE FROM orleansstorage WHERE serviceid = @service AND grainidextensionstring = @key RETURNING 1) SELECT count(*) FROM gone",
            ("service", serviceId), ("key", accountId));
        Assert.Equal(1, deleted);
        await RetireAsync(grains.GetGrain<IAccountGrain>(accountId));
    }

    /// <summary>The activation's next write meets the changed row (a conflict) and it retires; the next call reads the row.</summary>
    private static async Task RetireAsync(IAccountGrain account)
    {
        var conflict = await Assert.ThrowsAsync<AccountStorageException>(() => account.Deposit(TestIds.NewOperationId(), 1));
        Assert.True(conflict.IsConflict);
    }
}
