using System.Globalization;
using Npgsql;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Audit;

/// <summary>
/// Checks every account against the journal, independently of the grain's own reasoning: the grain
/// is asked only for its committed balance and newest sequence (after making sure the journal holds
/// everything up to it); the journal's rows are read and summed here in SQL. A difference means money
/// was booked without a record, a record was lost or changed, or a record is missing or repeated, or
/// the account's state was lost or went back behind its own journal (a deleted or restored row).
/// </summary>
public sealed class JournalAudit(IGrainFactory grains, NpgsqlDataSource dataSource, string serviceId)
{
    private const int Parallelism = 8;

    /// <summary>How long after its debit a transfer not finished is listed as pending (the silos' default alert age).</summary>
    public TimeSpan PendingAfter { get; init; } = TimeSpan.FromMinutes(5);

    // What each kind does to the balance (OperationKind numbers); a recorded refusal moves nothing.
    private const string Effect = """
        CASE WHEN status <> 0 THEN 0
             WHEN kind IN (1, 4, 5) THEN amount
             WHEN kind IN (2, 3) THEN -amount
             ELSE 0 END
        """;

    /// <summary>Audits <paramref name="accountIds"/>, or every account of the service (from grain storage and the journal).</summary>
    public async Task<AuditReport> RunAsync(IReadOnlyCollection<string>? accountIds = null, CancellationToken cancellationToken = default)
    {
        // A transfer finished before the audit began has its credit or refund journaled by the time the
        // accounts are synced below (a minute's margin for the clocks of the silos that recorded it).
        var startedAt = DateTimeOffset.UtcNow;
        var accounts = accountIds ?? await ListAccountsAsync(cancellationToken);
        var differences = new List<AuditDifference>();
        var unreachable = new List<string>();
        long total = 0, checkedAccounts = 0;
        await Parallel.ForEachAsync(accounts, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (accountId, token) =>
        {
            JournalCheckpoint checkpoint;
            try
            {
                checkpoint = await grains.GetGrain<IAccountGrain>(accountId).SyncJournal();
            }
            catch (Exception exception) when (IsUnreachable(exception))
            {
                lock (unreachable)
                {
                    unreachable.Add($"{accountId}: {exception.Message}");
                }

                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Not an outage: the account's journal failed with an error (rows it refused, a record
                // missing from its window). A finding about this account, which the others do not wait for.
                lock (differences)
                {
                    differences.Add(new AuditDifference(accountId, 0, 0, 0, 0, $"its journal could not be brought up to date: {exception.Message}"));
                }

                return;
            }

            var through = checkpoint.Status == AccountStatus.Open ? checkpoint.LastSequence : 0;
            var (rows, sum, lastBalance, newest, pruned, prunedEffect, brokenAt) = await SumJournalAsync(accountId, through, token);
            if (checkpoint.Status != AccountStatus.Open)
            {
                // Never opened, or its state is gone: only the second has a journal.
                if (newest > 0 || pruned > 0)
                {
                    lock (differences)
                    {
                        differences.Add(new AuditDifference(accountId, 0, 0, 0, 0,
                            $"the journal holds records through sequence {newest} ({pruned} more pruned), but the account has no state (its row was lost)"));
                    }
                }

                return;
            }

            // Records beyond the checkpoint are new operations committed since it was taken, unless the
            // account's state went back behind its journal: a fresh checkpoint tells them apart.
            if (newest > checkpoint.LastSequence && await NewestAfterResyncAsync(accountId, unreachable, differences) is { } now && now < newest)
            {
                lock (differences)
                {
                    checkedAccounts++;
                    total = checked(total + checkpoint.Balance);
                    differences.Add(new AuditDifference(accountId, checkpoint.Balance, checkpoint.LastSequence, sum, rows,
                        $"the journal holds records through sequence {newest}, beyond the account's newest ({checkpoint.LastSequence}): its state went back"));
                }

                return;
            }

            // Rows the retention pruned count with their tally (rm_journal_pruned).
            var reason = rows + pruned != checkpoint.LastSequence ? $"{checkpoint.LastSequence - rows - pruned} records missing from the journal"
                : sum + prunedEffect != checkpoint.Balance ? $"the journal sums to {sum + prunedEffect}, the balance is {checkpoint.Balance}"
                : lastBalance is { } newestBalance && newestBalance != checkpoint.Balance ? $"the newest record says the balance is {newestBalance}"
                : brokenAt is { } sequence ? $"record {sequence}'s balance does not follow from the record before it and its own effect (or is negative)"
                : null;
            lock (differences)
            {
                checkedAccounts++;
                total = checked(total + checkpoint.Balance);
                if (reason is not null)
                {
                    differences.Add(new AuditDifference(accountId, checkpoint.Balance, checkpoint.LastSequence, sum, rows, reason));
                }
            }
        });

        differences.AddRange(await UnsettledTransfersAsync(accountIds, startedAt.AddMinutes(-1), cancellationToken));
        differences.AddRange(await new UnbackedCreditCheck(grains, dataSource, serviceId).RunAsync(accountIds, cancellationToken));
        var pending = await PendingTransfersAsync(accountIds, startedAt - PendingAfter, cancellationToken: cancellationToken);
        return new AuditReport((int)checkedAccounts, differences.OrderBy(d => d.AccountId, StringComparer.Ordinal).ToList(),
            unreachable.Order(StringComparer.Ordinal).ToList(), total, await InTransferAsync(accounts, cancellationToken), EveryAccount: accountIds is null)
        {
            Pending = pending.Oldest,
            PendingCount = pending.Count,
        };
    }

    /// <summary>
    /// Transfers debited (at one of <paramref name="sources"/>, or anywhere) before <paramref name="debitedBefore"/>
    /// (by the source's clock) whose end is not in the journal (every audited source journaled all it
    /// holds just before), under its ID or as versions before UUIDv8 stamped it. Only debits journaled as
    /// pending (a transfer an upgrade from before the journal carried over finished is journaled with its
    /// outcome and no end of its own), and above the retention's floor (a prune pass may delete the end in
    /// an earlier batch than its debit). Oldest first, at most <paramref name="limit"/>, with how many there are.
    /// </summary>
    public async Task<(IReadOnlyList<UnfinishedTransfer> Oldest, int Count)> PendingTransfersAsync(
        IReadOnlyCollection<string>? sources, DateTimeOffset debitedBefore, int limit = 1000, CancellationToken cancellationToken = default)
    {
        // The debits pending by their own row, then those with no end (the end's ID is derived, so
        // computed here): in pages along the primary key, as the journal may hold every transfer ever.
        const int Batch = 5000;
        var pending = new List<UnfinishedTransfer>();
        var (afterAccount, afterId) = (string.Empty, Guid.Empty);
        while (true)
        {
            var debits = new List<UnfinishedTransfer>(Batch);
            await using (var command = dataSource.CreateCommand(
                "SELECT account_id, operation_id, counterparty, amount, recorded_at FROM rm_operation_journal"
                + " WHERE service_id = $1 AND (account_id, operation_id) > ($2, $3) AND kind = 3 AND status = 0 AND transfer_state = 0"
                + " AND counterparty IS NOT NULL AND recorded_at < $5"
                + " AND operation_time_ms > coalesce((SELECT pruned_through_ms FROM rm_journal_retention WHERE service_id = $1), -1)"
                + (sources is null ? string.Empty : " AND account_id = ANY($6)")
                + " ORDER BY account_id, operation_id LIMIT $4"))
            {
                command.Parameters.Add(new() { Value = serviceId });
                command.Parameters.Add(new() { Value = afterAccount });
                command.Parameters.Add(new() { Value = afterId });
                command.Parameters.Add(new() { Value = Batch });
                command.Parameters.Add(new() { Value = debitedBefore });
                if (sources is not null)
                {
                    command.Parameters.Add(new() { Value = sources.ToArray() });
                }

                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    debits.Add(new UnfinishedTransfer(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt64(3),
                        reader.GetFieldValue<DateTimeOffset>(4)));
                }
            }

            if (debits.Count == 0)
            {
                return (pending.OrderBy(p => p.DebitedAt).Take(limit).ToList(), pending.Count);
            }

            (afterAccount, afterId) = (debits[^1].Source, debits[^1].TransferId);
            await using var ends = dataSource.CreateCommand(
                "SELECT t.ordinal FROM unnest($2::text[], $3::uuid[], $4::uuid[]) WITH ORDINALITY AS t(source, finished_id, earlier_id, ordinal)"
                + " WHERE NOT EXISTS (SELECT FROM rm_operation_journal f"
                + " WHERE f.service_id = $1 AND f.account_id = t.source AND f.operation_id IN (t.finished_id, t.earlier_id) AND f.kind = 6)");
            ends.Parameters.Add(new() { Value = serviceId });
            ends.Parameters.Add(new() { Value = debits.Select(d => d.Source).ToArray() });
            ends.Parameters.Add(new() { Value = debits.Select(d => TransferRecordIds.Finished(d.TransferId)).ToArray() });
            ends.Parameters.Add(new() { Value = debits.Select(d => UnbackedCreditCheck.AsEarlierVersionsStampedIt(TransferRecordIds.Finished(d.TransferId))).ToArray() });
            await using var unfinished = await ends.ExecuteReaderAsync(cancellationToken);
            while (await unfinished.ReadAsync(cancellationToken))
            {
                pending.Add(debits[(int)unfinished.GetInt64(0) - 1]);
            }
        }
    }

    /// <summary>
    /// The account's newest sequence from a fresh checkpoint; null when it cannot be asked (reported
    /// unreachable) or its journal fails with an error (reported as a difference).
    /// </summary>
    private async Task<long?> NewestAfterResyncAsync(string accountId, List<string> unreachable, List<AuditDifference> differences)
    {
        try
        {
            return (await grains.GetGrain<IAccountGrain>(accountId).SyncJournal()).LastSequence;
        }
        catch (Exception exception) when (IsUnreachable(exception))
        {
            lock (unreachable)
            {
                unreachable.Add($"{accountId}: {exception.Message}");
            }

            return null;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            lock (differences)
            {
                differences.Add(new AuditDifference(accountId, 0, 0, 0, 0, $"its journal could not be brought up to date: {exception.Message}"));
            }

            return null;
        }
    }

    /// <summary>
    /// An account that cannot be asked now (its storage or journal failing, a silo going away): reported
    /// as unreachable, and the audit goes on with the others.
    /// </summary>
    private static bool IsUnreachable(Exception exception) =>
        AccountStorageException.Find(exception) is not null
        || exception is TimeoutException or OrleansMessageRejectionException or SiloUnavailableException
            or Orleans.Runtime.Messaging.ConnectionFailedException or GatewayTooBusyException;

    /// <summary>
    /// The account's journal through <paramref name="throughSequence"/>: rows, summed effect, the balance its
    /// newest row records (null when that row is not there), the highest sequence at all, the tally of
    /// what the retention pruned, and the first record whose balance breaks the chain. One statement, so
    /// one snapshot: a prune cannot move rows between them.
    /// </summary>
    /// <remarks>
    /// Every record stores the balance after it (a refusal or a transfer's event: the balance it left
    /// unchanged), so each balance is its predecessor's plus its own effect, and the first record's is its
    /// effect plus what an upgrade carried over (the tally's net effect while nothing was pruned). The sum
    /// and the newest balance alone miss two rows changed by opposite amounts, or a balance rewritten with
    /// a tally raised to match it: the chain does not. A predecessor the retention pruned leaves a record
    /// unchained (rows go by their IDs' time, not in sequence), and so does one an upgrade from before the
    /// journal numbered (recorded at the epoch: the old window kept records in ID order, not in the order
    /// they ran, and could drop one as it recorded it). Compared as numeric: no overflow.
    /// </remarks>
    private async Task<(long Rows, long Sum, long? LastBalance, long Newest, long Pruned, long PrunedEffect, long? BrokenAt)> SumJournalAsync(
        string accountId, long throughSequence, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH pruned AS (
                SELECT records, net_effect FROM rm_journal_pruned WHERE service_id = $1 AND account_id = $2
            ), journal AS (
                SELECT sequence, balance_after, ({Effect})::numeric AS effect, recorded_at = timestamptz 'epoch' AS upgraded,
                       lag(sequence) OVER chain AS previous_sequence, lag(balance_after) OVER chain AS previous_balance,
                       lag(recorded_at = timestamptz 'epoch') OVER chain AS previous_upgraded
                FROM rm_operation_journal
                WHERE service_id = $1 AND account_id = $2
                WINDOW chain AS (ORDER BY sequence)
            )
            SELECT count(*) FILTER (WHERE sequence BETWEEN 1 AND $3), coalesce(sum(effect) FILTER (WHERE sequence BETWEEN 1 AND $3), 0)::bigint,
                   max(balance_after) FILTER (WHERE sequence = $3),
                   coalesce(max(sequence), 0),
                   coalesce((SELECT records FROM pruned), 0),
                   coalesce((SELECT net_effect FROM pruned), 0),
                   min(sequence) FILTER (WHERE sequence <= $3 AND (
                       balance_after < 0
                       OR (previous_sequence = sequence - 1 AND NOT upgraded AND NOT previous_upgraded AND balance_after <> previous_balance + effect)
                       OR (sequence = 1 AND NOT upgraded AND coalesce((SELECT records FROM pruned), 0) = 0
                           AND balance_after - effect <> coalesce((SELECT net_effect FROM pruned), 0))))
            FROM journal
            """);
        command.Parameters.Add(new() { Value = serviceId });
        command.Parameters.Add(new() { Value = accountId });
        command.Parameters.Add(new() { Value = throughSequence });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5),
            reader.IsDBNull(6) ? null : reader.GetInt64(6));
    }

    /// <summary>
    /// Every transfer (debited at one of <paramref name="sources"/>, or at any account) whose other records
    /// do not settle it, which each account's own journal can agree with and the service-wide sum misses
    /// while other transfers are in flight (a held one is, until an operator acts): both credited at the
    /// destination and refunded at the source (money created); credited or refunded with another amount
    /// than was debited; or finished at the source as completed without a credit at the destination, or as
    /// refunded without a refund (money that left an account and reached none). Records are found by their
    /// derived IDs. A missing credit or refund counts only for a transfer finished before
    /// <paramref name="finishedBefore"/> (a minute before now by default: the destination's journal may
    /// trail the source's by its append), and whose ID is above the retention's floor (its records share
    /// the ID's time, so pruning cannot have taken only one of them).
    /// </summary>
    public async Task<IReadOnlyList<AuditDifference>> UnsettledTransfersAsync(
        IReadOnlyCollection<string>? sources = null, DateTimeOffset? finishedBefore = null, CancellationToken cancellationToken = default)
    {
        const int Batch = 5000;
        var cutoff = finishedBefore ?? DateTimeOffset.UtcNow.AddMinutes(-1);
        var found = new List<AuditDifference>();
        // Debits in pages along the primary key, each checked as it arrives: the journal keeps every
        // transfer (by default for ever), so the whole list could be larger than memory.
        var (afterAccount, afterId) = (string.Empty, Guid.Empty);
        while (true)
        {
            var debits = new List<(string Source, Guid TransferId, long Amount, string Destination, long TimeMs)>(Batch);
            await using (var command = dataSource.CreateCommand(
                "SELECT account_id, operation_id, amount, counterparty, operation_time_ms FROM rm_operation_journal"
                + " WHERE service_id = $1 AND (account_id, operation_id) > ($2, $3) AND kind = 3 AND status = 0 AND counterparty IS NOT NULL"
                + (sources is null ? string.Empty : " AND account_id = ANY($5)")
                + " ORDER BY account_id, operation_id LIMIT $4"))
            {
                command.Parameters.Add(new() { Value = serviceId });
                command.Parameters.Add(new() { Value = afterAccount });
                command.Parameters.Add(new() { Value = afterId });
                command.Parameters.Add(new() { Value = Batch });
                if (sources is not null)
                {
                    command.Parameters.Add(new() { Value = sources.ToArray() });
                }

                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    debits.Add((reader.GetString(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4)));
                }
            }

            if (debits.Count == 0)
            {
                return found;
            }

            (afterAccount, afterId) = (debits[^1].Source, debits[^1].TransferId);
            await using var records = dataSource.CreateCommand("""
                SELECT t.source, t.transfer_id, t.amount, t.destination, f.transfer_state, c.amount, r.amount,
                       t.time_ms > coalesce((SELECT pruned_through_ms FROM rm_journal_retention WHERE service_id = $1), -1)
                FROM unnest($2::text[], $3::uuid[], $4::bigint[], $5::text[], $6::uuid[], $7::uuid[], $8::uuid[], $9::bigint[])
                     AS t(source, transfer_id, amount, destination, credit_id, refund_id, finished_id, time_ms)
                LEFT JOIN rm_operation_journal f ON f.service_id = $1 AND f.account_id = t.source AND f.operation_id = t.finished_id
                                                AND f.kind = 6 AND f.recorded_at < $10
                LEFT JOIN rm_operation_journal c ON c.service_id = $1 AND c.account_id = t.destination AND c.operation_id = t.credit_id
                                                AND c.kind = 4 AND c.status = 0
                LEFT JOIN rm_operation_journal r ON r.service_id = $1 AND r.account_id = t.source AND r.operation_id = t.refund_id
                                                AND r.kind = 5 AND r.status = 0
                WHERE (c.amount IS NOT NULL AND r.amount IS NOT NULL)
                   OR c.amount <> t.amount OR r.amount <> t.amount
                   OR (f.transfer_state = 1 AND c.amount IS NULL) OR (f.transfer_state = 2 AND r.amount IS NULL)
                """);
            records.Parameters.Add(new() { Value = serviceId });
            records.Parameters.Add(new() { Value = debits.Select(d => d.Source).ToArray() });
            records.Parameters.Add(new() { Value = debits.Select(d => d.TransferId).ToArray() });
            records.Parameters.Add(new() { Value = debits.Select(d => d.Amount).ToArray() });
            records.Parameters.Add(new() { Value = debits.Select(d => d.Destination).ToArray() });
            records.Parameters.Add(new() { Value = debits.Select(d => TransferRecordIds.Credit(d.TransferId)).ToArray() });
            records.Parameters.Add(new() { Value = debits.Select(d => TransferRecordIds.Refund(d.TransferId)).ToArray() });
            records.Parameters.Add(new() { Value = debits.Select(d => TransferRecordIds.Finished(d.TransferId)).ToArray() });
            records.Parameters.Add(new() { Value = debits.Select(d => d.TimeMs).ToArray() });
            records.Parameters.Add(new() { Value = cutoff });
            // Money that left and reached no account is only a suspicion until the account that should hold
            // the missing record was asked to journal everything it holds (one not audited, or whose silo went
            // away, may keep its credit in its window): checked after this page is read.
            var missing = new List<(string Source, string Holder, Guid RecordId, OperationKind Kind, long Amount, string Transfer)>();
            await using (var unsettled = await records.ExecuteReaderAsync(cancellationToken))
            {
                while (await unsettled.ReadAsync(cancellationToken))
                {
                    var (source, transferId, amount, destination) = (unsettled.GetString(0), unsettled.GetGuid(1), unsettled.GetInt64(2), unsettled.GetString(3));
                    long? credited = unsettled.IsDBNull(5) ? null : unsettled.GetInt64(5);
                    long? refunded = unsettled.IsDBNull(6) ? null : unsettled.GetInt64(6);
                    var finished = unsettled.IsDBNull(4) ? (TransferState?)null : (TransferState)unsettled.GetInt16(4);
                    var transfer = string.Create(CultureInfo.InvariantCulture, $"transfer {transferId} of {amount} to {destination}");
                    var reason = (credited, refunded, finished, aboveFloor: unsettled.GetBoolean(7)) switch
                    {
                        ({ }, { }, _, _) => $"{transfer} was both credited there and refunded here: money created",
                        ({ } credit, _, _, _) when credit != amount => string.Create(CultureInfo.InvariantCulture, $"{transfer} was credited there with {credit}, not the {amount} debited here"),
                        (_, { } refund, _, _) when refund != amount => string.Create(CultureInfo.InvariantCulture, $"{transfer} was refunded here with {refund}, not the {amount} debited"),
                        (null, { }, TransferState.Completed, _) => $"{transfer} finished here as completed, but was refunded here and never credited: its record of how it ended is wrong",
                        ({ }, null, TransferState.Refunded, _) => $"{transfer} finished here as refunded, but was credited there and never refunded: its record of how it ended is wrong",
                        _ => null,
                    };
                    if (reason is not null)
                    {
                        found.Add(new AuditDifference(source, 0, 0, 0, 0, reason));
                    }
                    else if (unsettled.GetBoolean(7) && (credited, refunded, finished) is (null, null, TransferState.Completed))
                    {
                        missing.Add((source, destination, TransferRecordIds.Credit(transferId), OperationKind.TransferIn, amount, transfer));
                    }
                    else if (unsettled.GetBoolean(7) && (credited, refunded, finished) is (null, null, TransferState.Refunded))
                    {
                        missing.Add((source, source, TransferRecordIds.Refund(transferId), OperationKind.TransferRefund, amount, transfer));
                    }
                }
            }

            foreach (var (source, holder, recordId, kind, amount, transfer) in missing)
            {
                var what = kind == OperationKind.TransferIn ? $"credit at {holder}" : "refund here";
                var reason = await RecordAfterSyncAsync(holder, recordId, kind, cancellationToken) switch
                {
                    { Amount: null, Failure: { } failure } => $"{transfer} finished here, but whether its {what} was recorded could not be verified: {failure}",
                    { Amount: null } => $"{transfer} finished here as {(kind == OperationKind.TransferIn ? "completed" : "refunded")}, but no {what} is recorded: money that left this account and reached none",
                    { Amount: { } recorded } when recorded != amount => string.Create(CultureInfo.InvariantCulture, $"{transfer} has a {what} of {recorded}, not the {amount} debited here"),
                    _ => null,
                };
                if (reason is not null)
                {
                    found.Add(new AuditDifference(source, 0, 0, 0, 0, reason));
                }
            }
        }
    }

    /// <summary>
    /// The amount of <paramref name="holder"/>'s record <paramref name="recordId"/> once the account has journaled
    /// everything it holds; null when there is none, with the reason when the account could not be asked.
    /// </summary>
    private async Task<(long? Amount, string? Failure)> RecordAfterSyncAsync(string holder, Guid recordId, OperationKind kind, CancellationToken cancellationToken)
    {
        try
        {
            await grains.GetGrain<IAccountGrain>(holder).SyncJournal();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Unreachable, or its journal fails with an error (reported with that account): no verdict here.
            return (null, $"{holder} could not bring its journal up to date ({exception.Message})");
        }

        await using var command = dataSource.CreateCommand(
            "SELECT amount FROM rm_operation_journal WHERE service_id = $1 AND account_id = $2 AND operation_id = $3 AND kind = $4 AND status = 0");
        command.Parameters.Add(new() { Value = serviceId });
        command.Parameters.Add(new() { Value = holder });
        command.Parameters.Add(new() { Value = recordId });
        command.Parameters.Add(new() { Value = (short)kind });
        return (await command.ExecuteScalarAsync(cancellationToken) is long amount ? amount : null, null);
    }

    /// <summary>Transfers debited (kind 3) minus their refunds (5) and credits (4) among the audited accounts.</summary>
    private async Task<long> InTransferAsync(IReadOnlyCollection<string> accounts, CancellationToken cancellationToken)
    {
        // With the retention's tally of pruned rows: one statement, one snapshot.
        await using var command = dataSource.CreateCommand("""
            SELECT coalesce((SELECT sum(CASE WHEN kind = 3 AND status = 0 THEN amount WHEN kind IN (4, 5) THEN -amount ELSE 0 END)
                             FROM rm_operation_journal WHERE service_id = $1 AND account_id = ANY($2)), 0)::bigint
                 + coalesce((SELECT sum(in_transfer) FROM rm_journal_pruned WHERE service_id = $1 AND account_id = ANY($2)), 0)::bigint
            """);
        command.Parameters.Add(new() { Value = serviceId });
        command.Parameters.Add(new() { Value = accounts.ToArray() });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Every account of the service: those with grain state (opened ones, and IDs a refused credit
    /// left a not-open row for) and those with journal rows.
    /// </summary>
    private async Task<IReadOnlyCollection<string>> ListAccountsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT grainidextensionstring FROM orleansstorage
            WHERE serviceid = $1 AND graintypestring = 'account' AND grainidextensionstring IS NOT NULL
            UNION
            SELECT DISTINCT account_id FROM rm_operation_journal WHERE service_id = $1
            UNION
            SELECT account_id FROM rm_journal_pruned WHERE service_id = $1
            """);
        command.Parameters.Add(new() { Value = serviceId });
        var accounts = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            accounts.Add(reader.GetString(0));
        }

        return accounts;
    }
}
