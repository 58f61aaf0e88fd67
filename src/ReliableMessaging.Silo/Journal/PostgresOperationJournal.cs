using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using ReliableMessaging.Silo.Storage;
using NpgsqlTypes;
using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Grains.Journal;

namespace ReliableMessaging.Silo.Journal;

/// <summary>
/// The operation journal in PostgreSQL (<c>rm_operation_journal</c>, silo-config/sql/40-journal.sql).
/// Appends from every account of the silo go through one writer that takes whatever has queued up
/// while its previous insert ran and writes it as ONE multi-row insert (one round trip, one commit),
/// so the journal costs far less than the state writes it follows. Inserts are idempotent: a batch
/// that meets rows already there is inserted again with ON CONFLICT DO NOTHING.
/// </summary>
public sealed partial class PostgresOperationJournal : IOperationJournal, IAsyncDisposable
{
    /// <summary>The most records one insert carries.</summary>
    public const int MaxBatchRecords = 2000;

    /// <summary>
    /// The lock that orders the writer's inserts (shared) against the pruner's deletes (exclusive,
    /// <see cref="PruneLockSql"/>), per service, for the length of one transaction.
    /// </summary>
    public const string InsertLockSql = "SELECT pg_advisory_xact_lock_shared(hashtextextended('rm_operation_journal:' || $1, 0))";

    /// <inheritdoc cref="InsertLockSql"/>
    public const string PruneLockSql = "SELECT pg_advisory_xact_lock(hashtextextended('rm_operation_journal:' || $1, 0))";

    // A record the retention already pruned is not inserted again: an account that re-activates
    // re-sends the records its stored state does not know as journaled, and a pruned one would come
    // back and be counted twice (row and tally). It is pruned if its sequence is at or below the
    // highest the account had pruned and no row holds that sequence any more; records are journaled
    // in sequence order, so a record above it was never inserted, whatever its age, and is inserted
    // (the next prune takes it, with its tally). The check costs nothing until something was pruned.
    // Only a record the floor covers can have been pruned: another operation under a pruned sequence
    // (a state row restored from a backup reuses sequences) is inserted, never confirmed without its row.
    private static readonly string InsertSql = $"""
        INSERT INTO rm_operation_journal
            (service_id, account_id, operation_id, sequence, kind, amount, status, balance_after,
             counterparty, transfer_state, operation_time_ms, recorded_at, issued_by)
        SELECT $1, r.* FROM unnest($2::text[], $3::uuid[], $4::bigint[], $5::smallint[], $6::bigint[], $7::smallint[],
                                   $8::bigint[], $9::text[], $10::smallint[], $11::bigint[], $12::timestamptz[], $13::text[])
            AS r(account_id, operation_id, sequence, kind, amount, status, balance_after,
                 counterparty, transfer_state, operation_time_ms, recorded_at, issued_by)
        CROSS JOIN (SELECT EXISTS (SELECT 1 FROM rm_journal_pruned WHERE service_id = $1) AS any) AS pruning
        WHERE CASE WHEN NOT pruning.any THEN true
                   ELSE NOT EXISTS (
                       SELECT 1 FROM rm_journal_pruned p
                       WHERE p.service_id = $1 AND p.account_id = r.account_id AND r.sequence <= p.through_sequence
                         AND {PrunedCondition("(SELECT pruned_through_ms FROM rm_journal_retention WHERE service_id = $1)", "r.")}
                         AND NOT EXISTS (SELECT 1 FROM rm_operation_journal j
                                         WHERE j.service_id = $1 AND j.account_id = r.account_id AND j.sequence = r.sequence))
              END
        """;

    /// <summary>What a row does to its account's balance (kinds as in 40-journal.sql); a recorded refusal moves nothing.</summary>
    private const string BalanceEffect =
        "CASE WHEN status <> 0 THEN 0 WHEN kind IN (1, 4, 5) THEN amount WHEN kind IN (2, 3) THEN -amount ELSE 0 END";

    /// <summary>
    /// The retention's rule for a row, given the floor (a SQL expression in Unix milliseconds): its ID and
    /// its recording are both at or below it (<see cref="JournalPage.CountsAsPruned"/> says the same in C#).
    /// The pruner deletes exactly these rows; a statement tallies them instead of listing them.
    /// </summary>
    internal static string PrunedCondition(string floorMs, string row = "") =>
        $"({row}operation_time_ms <= {floorMs} AND {row}recorded_at <= timestamptz 'epoch' + {floorMs} * interval '1 millisecond')";

    /// <summary>
    /// Without a retention (the default) nothing is pruned and the tally's scan of the account's rows
    /// must not run at all: its one-time filter skips it, but only in a plan without parallel workers
    /// (a parallel plan starts them anyway). Measured on an account of 1,000,000 rows: 257 ms a page
    /// before, 0.6 ms with both. With a retention it reads the account's rows (rows the floor covers
    /// are deleted by the next pass, and no index orders them by time within an account).
    /// </summary>
    internal const string StatementTallyPrelude = "SET LOCAL max_parallel_workers_per_gather = 0";

    /// <summary>What the retention pruned or covers for an account ($1 service, $2 account): count, net effect, floor, highest sequence.</summary>
    internal static readonly string StatementTallySql = $"""
        WITH pruning AS (SELECT coalesce((SELECT pruned_through_ms FROM rm_journal_retention WHERE service_id = $1), 0) AS ms)
        SELECT coalesce((SELECT records FROM rm_journal_pruned WHERE service_id = $1 AND account_id = $2), 0) + count(*),
               coalesce((SELECT net_effect FROM rm_journal_pruned WHERE service_id = $1 AND account_id = $2), 0) + coalesce(sum({BalanceEffect}), 0)::bigint,
               (SELECT ms FROM pruning),
               greatest(coalesce((SELECT through_sequence FROM rm_journal_pruned WHERE service_id = $1 AND account_id = $2), 0), coalesce(max(sequence), 0))
        FROM rm_operation_journal
        WHERE (SELECT ms FROM pruning) > 0 AND service_id = $1 AND account_id = $2 AND {PrunedCondition("(SELECT ms FROM pruning)")}
        """;

    private const string Columns =
        "operation_id, sequence, kind, amount, status, balance_after, counterparty, transfer_state, recorded_at, issued_by";

    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlDataSource _writerDataSource;
    private readonly string _serviceId;
    private readonly TimeSpan _flushDelay;
    private readonly ILogger<PostgresOperationJournal> _logger;
    private readonly Channel<PendingAppend> _queue = Channel.CreateUnbounded<PendingAppend>(new() { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _writer;
    private long _insertsExecuted;
    private long _queuedRecords;
    private int _disposed;

    // Accounts whose last append the database refused (a constraint: e.g. a state restored behind its
    // journal reusing sequences). Written alone until one succeeds, so their retries every few seconds
    // do not make every shared insert fail and split again. Touched by the writer loop only.
    private readonly HashSet<string> _refusedAccounts = new(StringComparer.Ordinal);

    /// <summary>One pool for everything (tools and tests).</summary>
    public PostgresOperationJournal(NpgsqlDataSource dataSource, JournalServiceId serviceId, IOptions<AccountOptions> options, ILogger<PostgresOperationJournal> logger)
        : this(new JournalWriterDataSource(dataSource), dataSource, serviceId, options, logger)
    {
    }

    /// <summary>The silo's: the writer on a pool of its own, reads on <paramref name="readDataSource"/>.</summary>
    public PostgresOperationJournal(
        JournalWriterDataSource writerDataSource, NpgsqlDataSource readDataSource, JournalServiceId serviceId, IOptions<AccountOptions> options, ILogger<PostgresOperationJournal> logger)
    {
        ArgumentNullException.ThrowIfNull(writerDataSource);
        _writerDataSource = writerDataSource.DataSource;
        _dataSource = readDataSource;
        ArgumentNullException.ThrowIfNull(serviceId);
        ArgumentNullException.ThrowIfNull(options);
        _serviceId = serviceId.Value;
        _flushDelay = options.Value.JournalFlushDelay;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
        JournalMetrics.ObserveQueue(() => Interlocked.Read(ref _queuedRecords));
        JournalMetrics.StartFailureSeries();
    }

    /// <summary>How many inserts (round trips, failed ones included) the writer has sent: far fewer than appends under load.</summary>
    public long InsertsExecuted => Interlocked.Read(ref _insertsExecuted);

    public Task AppendAsync(string accountId, IReadOnlyList<OperationRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        var append = new PendingAppend(accountId, records);
        if (!_queue.Writer.TryWrite(append))
        {
            throw new JournalUnavailableException("The journal writer has stopped (the silo is shutting down).");
        }

        Interlocked.Add(ref _queuedRecords, records.Count);
        return append.Completion.Task;
    }

    public async Task<JournalLookup> FindAsync(string accountId, IReadOnlyList<Guid> operationIds, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var batch = _dataSource.CreateBatch();
            batch.BatchCommands.Add(Command(
                $"SELECT {Columns} FROM rm_operation_journal WHERE service_id = $1 AND account_id = $2 AND operation_id = ANY($3)",
                _serviceId, accountId, operationIds.ToArray()));
            batch.BatchCommands.Add(Command("SELECT pruned_through_ms FROM rm_journal_retention WHERE service_id = $1", _serviceId));
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            var records = await ReadRecordsAsync(reader, cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            var prunedThrough = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : 0;
            return new JournalLookup(records, prunedThrough);
        }
        catch (Exception exception) when (DatabaseFailure.IsUnavailable(exception))
        {
            // Only a database that cannot serve now is "unavailable, retry"; a refusal that repeats
            // (a missing grant, an undefined column) reaches the caller as the error it is.
            throw new JournalUnavailableException($"The journal could not be read: {exception.Message}", exception);
        }
    }

    public async Task<JournalPage> ReadAsync(string accountId, long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        try
        {
            // Everything the floor covers (ID and recording at or below it) counts as pruned, whether a
            // prune has deleted its row yet or not, and both queries read one snapshot: a prune running meanwhile moves no
            // record between the listed ones and the tally.
            await using var batch = _dataSource.CreateBatch();
            batch.BatchCommands.Add(Command("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
            batch.BatchCommands.Add(Command($"""
                WITH pruning AS (SELECT coalesce((SELECT pruned_through_ms FROM rm_journal_retention WHERE service_id = $1), 0) AS ms)
                SELECT {Columns} FROM rm_operation_journal
                WHERE service_id = $1 AND account_id = $2 AND sequence > $3
                  AND NOT {PrunedCondition("(SELECT ms FROM pruning)")}
                ORDER BY sequence LIMIT $4
                """,
                _serviceId, accountId, afterSequence, limit));
            batch.BatchCommands.Add(Command(StatementTallyPrelude));
            batch.BatchCommands.Add(Command(StatementTallySql, _serviceId, accountId));
            batch.BatchCommands.Add(Command("COMMIT"));
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            var records = await ReadRecordsAsync(reader, cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new JournalPage(records, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        }
        catch (Exception exception) when (DatabaseFailure.IsUnavailable(exception))
        {
            // Only a database that cannot serve now is "unavailable, retry"; a refusal that repeats
            // (a missing grant, an undefined column) reaches the caller as the error it is.
            throw new JournalUnavailableException($"The journal could not be read: {exception.Message}", exception);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered under two service types (itself and IOperationJournal), so the container disposes
        // it twice: the second call must not touch the disposed token source (the silo crashed at exit).
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        await _writer;
        _stopping.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingAppend>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            // Let the records of operations that commit meanwhile join this insert: with few callers
            // there is otherwise one insert per operation, each costing PostgreSQL a round trip and a commit.
            if (_flushDelay > TimeSpan.Zero && Interlocked.Read(ref _queuedRecords) < MaxBatchRecords)
            {
                await Task.Delay(_flushDelay);
            }

            batch.Clear();
            var records = 0;
            while (records < MaxBatchRecords && reader.TryRead(out var append))
            {
                batch.Add(append);
                records += append.Records.Count;
            }

            Interlocked.Add(ref _queuedRecords, -records);
            if (_refusedAccounts.Count > 0 && batch.Exists(append => _refusedAccounts.Contains(append.AccountId)))
            {
                var alone = batch.Where(append => _refusedAccounts.Contains(append.AccountId)).ToList();
                batch.RemoveAll(append => _refusedAccounts.Contains(append.AccountId));
                if (batch.Count > 0)
                {
                    await WriteAsync(batch, batch.Sum(append => append.Records.Count));
                }

                foreach (var append in alone)
                {
                    await WriteAsync([append], append.Records.Count);
                }

                continue;
            }

            await WriteAsync(batch, records);
        }
    }

    /// <summary>Inserts the appends as one statement and completes each of them; never throws.</summary>
    private async Task WriteAsync(List<PendingAppend> batch, int records)
    {
        try
        {
            await InsertAsync(batch, records);
            JournalMetrics.BatchSize.Record(records);
            JournalMetrics.Appended.Add(records);
            foreach (var append in batch)
            {
                _refusedAccounts.Remove(append.AccountId);
                append.Completion.TrySetResult();
            }
        }
        catch (PostgresException exception) when (batch.Count > 1 && IsRefusalOfTheRows(exception))
        {
            // The database refused the rows of some append (a constraint, a value it cannot store), not an
            // outage: each append on its own, so that one account's rows fail alone instead of holding
            // back every account whose records share the insert with them, again at every retry.
            LogBatchSplit(_logger, exception, batch.Count, records);
            foreach (var append in batch)
            {
                await WriteAsync([append], append.Records.Count);
            }
        }
        catch (PostgresException exception) when (batch.Count == 1 && IsRefusalOfTheRows(exception))
        {
            // One account's rows refused: its records wait in its window (past its bound the account
            // refuses new operations with an error, not "retry"), and an operator looks (the audit names
            // the account).
            var account = batch[0].AccountId;
            _refusedAccounts.Add(account);
            LogAccountRefused(_logger, exception, account, records);
            JournalMetrics.Failed(JournalMetrics.Refusal);
            batch[0].Completion.TrySetException(new JournalUnavailableException($"The journal refused the records of account {account}: {exception.MessageText}", exception, isRefusal: true));
        }
        catch (Exception exception) when (IsOutage(exception))
        {
            LogAppendFailed(_logger, exception, batch.Count, records);
            JournalMetrics.Failed(JournalMetrics.Outage);
            var unavailable = new JournalUnavailableException($"The journal could not be written: {exception.Message}", exception);
            foreach (var append in batch)
            {
                append.Completion.TrySetException(unavailable);
            }
        }
        catch (Exception exception) when (!IsOutage(exception))
        {
            // A bug or a refusal that repeats (a missing grant, a missing migration), not an outage: its
            // callers see it as it is (not as "unavailable, retry"), and the writer goes on serving the
            // other accounts.
            LogAppendBug(_logger, exception, batch.Count, records);
            JournalMetrics.Failed(JournalMetrics.Error);
            foreach (var append in batch)
            {
                append.Completion.TrySetException(exception);
            }
        }
    }

    /// <summary>The database cannot serve now (a later attempt may succeed), or the writer is stopping.</summary>
    private static bool IsOutage(Exception exception) =>
        exception is OperationCanceledException || DatabaseFailure.IsUnavailable(exception);

    /// <summary>A data exception (class 22) or a constraint violation (23): the rows, not the database, are at fault.</summary>
    private static bool IsRefusalOfTheRows(PostgresException exception) =>
        exception.SqlState.StartsWith("22", StringComparison.Ordinal) || exception.SqlState.StartsWith("23", StringComparison.Ordinal);

    private async Task InsertAsync(List<PendingAppend> batch, int count)
    {
        var accounts = new string[count];
        var ids = new Guid[count];
        var sequences = new long[count];
        var kinds = new short[count];
        var amounts = new long[count];
        var statuses = new short[count];
        var balances = new long[count];
        var counterparties = new string?[count];
        var transfers = new short?[count];
        var times = new long[count];
        var recordedAt = new DateTime[count];
        var issuers = new string?[count];
        var i = 0;
        foreach (var append in batch)
        {
            foreach (var record in append.Records)
            {
                accounts[i] = append.AccountId;
                ids[i] = record.OperationId;
                sequences[i] = record.Sequence;
                kinds[i] = (short)record.Kind;
                amounts[i] = record.Amount;
                statuses[i] = (short)record.Status;
                balances[i] = record.BalanceAfter;
                counterparties[i] = record.Counterparty;
                transfers[i] = record.Transfer is { } transfer ? (short)transfer : null;
                times[i] = Uuid7.GetUnixTimeMilliseconds(record.OperationId);
                recordedAt[i] = DateTime.UnixEpoch.AddMilliseconds(record.RecordedUnixMs);
                issuers[i] = record.IssuedBy;
                i++;
            }
        }

        object[] values = [_serviceId, accounts, ids, sequences, kinds, amounts, statuses, balances, counterparties, transfers, times, recordedAt, issuers];
        try
        {
            // Almost always new rows: a plain insert costs PostgreSQL far less than ON CONFLICT's
            // speculative insertion (measured: 1.3-1.7 times the inserts per second).
            await ExecuteInsertAsync(InsertSql, values);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Some records were already there (re-sent after a crash or a lost answer); the failed
            // statement wrote nothing, so the idempotent form writes exactly the missing ones. Only a
            // row with the same operation ID is "already there": a different operation under a sequence
            // the account already used still violates the sequence index and fails the append, so it
            // is never confirmed (and never leaves the window) without being stored.
            await ExecuteInsertAsync(InsertSql + " ON CONFLICT (service_id, account_id, operation_id) DO NOTHING", values);
        }
    }

    private async Task ExecuteInsertAsync(string sql, object[] values)
    {
        Interlocked.Increment(ref _insertsExecuted);

        // The insert's snapshot must be taken after any delete in progress committed (one batch is one
        // transaction; its second statement's snapshot follows the lock), also on a silo that prunes
        // nothing itself: another silo of the service may (a rollout that turns the retention on), and a
        // re-sent record inserted while its prune deletes it would be counted twice, row and tally.
        await using var batch = _writerDataSource.CreateBatch();
        batch.BatchCommands.Add(Command(InsertLockSql, _serviceId));
        batch.BatchCommands.Add(Command(sql, values));
        await batch.ExecuteNonQueryAsync(_stopping.Token);
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        AddParameters(command.Parameters, values);
        return command;
    }

    private static void AddParameters(NpgsqlParameterCollection parameters, params object[] values)
    {
        foreach (var value in values)
        {
            parameters.Add(value switch
            {
                DateTime[] times => new NpgsqlParameter { Value = times, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
                _ => new NpgsqlParameter { Value = value },
            });
        }
    }

    private static async Task<List<OperationRecord>> ReadRecordsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var records = new List<OperationRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new OperationRecord(
                reader.GetGuid(0),
                (OperationKind)reader.GetInt16(2),
                reader.GetInt64(3),
                (OperationStatus)reader.GetInt16(4),
                reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : (TransferState)reader.GetInt16(7))
            {
                Sequence = reader.GetInt64(1),
                RecordedUnixMs = new DateTimeOffset(reader.GetFieldValue<DateTime>(8), TimeSpan.Zero).ToUnixTimeMilliseconds(),
                IssuedBy = reader.IsDBNull(9) ? null : reader.GetString(9),
            });
        }

        return records;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Journal insert of {Appends} appends ({Records} records) failed")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, int appends, int records);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Journal insert of {Appends} appends ({Records} records) refused by the database; writing each append on its own")]
    private static partial void LogBatchSplit(ILogger logger, Exception exception, int appends, int records);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "The database refuses the journal records of account {AccountId} ({Records} records); they stay in its state and are retried alone. A state that went back behind its journal (a restored row) does this: run the audit")]
    private static partial void LogAccountRefused(ILogger logger, Exception exception, string accountId, int records);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Journal insert of {Appends} appends ({Records} records) failed unexpectedly: a bug, or a refusal that repeats (a missing grant or migration: see silo-config/sql)")]
    private static partial void LogAppendBug(ILogger logger, Exception exception, int appends, int records);

    private sealed record PendingAppend(string AccountId, IReadOnlyList<OperationRecord> Records)
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
