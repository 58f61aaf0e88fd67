using System.Globalization;
using Npgsql;
using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Audit;

/// <summary>
/// Finds transfer credits (at a destination) and refunds (at a source) that no successful debit of
/// their transfer backs: money created from nothing, which the holder's own journal agrees with, and
/// which the service-wide sum of money in transfer hides while any other transfer is in flight (a
/// held one is, until an operator acts). The debit side of the audit starts from debits, so it never
/// sees these.
/// </summary>
/// <remarks>
/// A credit's ID is derived from its transfer's by a one-way hash, but keeps the transfer ID's 48-bit
/// timestamp (<see cref="TransferRecordIds"/>): the source's debits of that millisecond are read along
/// the primary key and each one's derived ID compared (also as earlier versions stamped it, UUID version
/// 7 instead of 8), and its amount. Not checked, as nothing can back them any more: records at or below
/// the retention's floor (read in the same statement as the debits: pruning raises it before it
/// deletes), and records of a transfer no later than the newest record an upgrade from before the
/// journal numbered at its source (the old window could have dropped the debit before the upgrade). A
/// suspect is reported only once the source has journaled everything it holds (its debit can still be
/// in its window), and as "could not be verified" when the source cannot be asked.
/// </remarks>
public sealed class UnbackedCreditCheck(IGrainFactory grains, NpgsqlDataSource dataSource, string serviceId)
{
    private const int Batch = 5000;

    // Per source, the time of the newest record an upgrade from before the journal numbered (null: none):
    // read once per source and run (an upgraded source's are all its rows to scan).
    private readonly Dictionary<string, long?> _upgradedThrough = new(StringComparer.Ordinal);

    /// <summary>The unbacked credits and refunds held by <paramref name="holders"/>, or by any account.</summary>
    public async Task<IReadOnlyList<AuditDifference>> RunAsync(IReadOnlyCollection<string>? holders = null, CancellationToken cancellationToken = default)
    {
        var found = new List<AuditDifference>();
        var (afterAccount, afterId) = (string.Empty, Guid.Empty);
        while (true)
        {
            var (page, last) = await ReadPageAsync(holders, afterAccount, afterId, cancellationToken);
            if (last is not { } next)
            {
                return found;
            }

            (afterAccount, afterId) = next;
            var suspects = await UnbackedAsync(page, cancellationToken);
            if (suspects.Count == 0)
            {
                continue;
            }

            // A debit still in its source's window is not journaled yet: ask each source, then look again.
            var unverified = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var source in suspects.Select(suspect => suspect.Record.Source).Distinct(StringComparer.Ordinal))
            {
                try
                {
                    await grains.GetGrain<IAccountGrain>(source).SyncJournal();
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    unverified[source] = exception.Message;
                }
            }

            foreach (var (record, debited) in await UnbackedAsync(suspects.Select(suspect => suspect.Record).ToList(), cancellationToken))
            {
                var what = record.Kind == OperationKind.TransferIn
                    ? string.Create(CultureInfo.InvariantCulture, $"the credit {record.RecordId} of {record.Amount} from {record.Source}")
                    : string.Create(CultureInfo.InvariantCulture, $"the refund {record.RecordId} of {record.Amount} of a transfer to {record.Destination}");
                found.Add(new AuditDifference(record.Holder, 0, 0, 0, 0, (unverified.TryGetValue(record.Source, out var failure), debited) switch
                {
                    (true, _) => $"whether a debit backs {what} could not be verified: {record.Source} could not bring its journal up to date ({failure})",
                    (false, { } amount) => string.Create(CultureInfo.InvariantCulture, $"{what} does not match its transfer's debit of {amount} at {record.Source}"),
                    _ => $"{what} is backed by no transfer debited at {record.Source}: money created",
                }));
            }
        }
    }

    /// <summary>A page of successful credits and refunds along the primary key, and the key to go on after (null at the end).</summary>
    private async Task<(List<TransferRecord> Page, (string Account, Guid Id)? Last)> ReadPageAsync(
        IReadOnlyCollection<string>? holders, string afterAccount, Guid afterId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT account_id, operation_id, kind, amount, counterparty FROM rm_operation_journal"
            + " WHERE service_id = $1 AND (account_id, operation_id) > ($2, $3) AND kind IN (4, 5) AND status = 0 AND counterparty IS NOT NULL"
            + (holders is null ? string.Empty : " AND account_id = ANY($5)")
            + " ORDER BY account_id, operation_id LIMIT $4");
        command.Parameters.Add(new() { Value = serviceId });
        command.Parameters.Add(new() { Value = afterAccount });
        command.Parameters.Add(new() { Value = afterId });
        command.Parameters.Add(new() { Value = Batch });
        if (holders is not null)
        {
            command.Parameters.Add(new() { Value = holders.ToArray() });
        }

        var page = new List<TransferRecord>(Batch);
        (string, Guid)? last = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (holder, recordId, kind, amount, counterparty) =
                (reader.GetString(0), reader.GetGuid(1), (OperationKind)reader.GetInt16(2), reader.GetInt64(3), reader.GetString(4));
            last = (holder, recordId);
            page.Add(kind == OperationKind.TransferIn
                ? new TransferRecord(holder, recordId, kind, amount, Source: counterparty, Destination: holder)
                : new TransferRecord(holder, recordId, kind, amount, Source: holder, Destination: counterparty));
        }

        return (page, last);
    }

    /// <summary>
    /// The records among <paramref name="records"/> that no successful debit at their source, to their
    /// destination, backs with the same amount; each with the amount of the debit it derives from when
    /// that differs. Records nothing can back any more (see the remarks) are left out.
    /// </summary>
    private async Task<List<(TransferRecord Record, long? Debited)>> UnbackedAsync(List<TransferRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return [];
        }

        await ReadUpgradedThroughAsync(records.Select(r => r.Source).Distinct(StringComparer.Ordinal).Where(s => !_upgradedThrough.ContainsKey(s)).ToArray(), cancellationToken);

        // The debits of each record's millisecond: the primary key's range of IDs with its 48-bit prefix.
        await using var command = dataSource.CreateCommand("""
            SELECT t.i,
                   t.time_ms <= coalesce((SELECT pruned_through_ms FROM rm_journal_retention WHERE service_id = $1), -1)
                       OR t.time_ms <= coalesce(t.upgraded_through_ms, -1),
                   d.operation_id, d.amount
            FROM unnest($2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::bigint[], $7::bigint[]) WITH ORDINALITY
                AS t(source, destination, low, high, time_ms, upgraded_through_ms, i)
            LEFT JOIN rm_operation_journal d ON d.service_id = $1 AND d.account_id = t.source AND d.operation_id BETWEEN t.low AND t.high
                                            AND d.kind = 3 AND d.status = 0 AND d.counterparty = t.destination
            """);
        command.Parameters.Add(new() { Value = serviceId });
        command.Parameters.Add(new() { Value = records.Select(r => r.Source).ToArray() });
        command.Parameters.Add(new() { Value = records.Select(r => r.Destination).ToArray() });
        command.Parameters.Add(new() { Value = records.Select(r => WithSameMillisecond(r.RecordId, 0x00)).ToArray() });
        command.Parameters.Add(new() { Value = records.Select(r => WithSameMillisecond(r.RecordId, 0xFF)).ToArray() });
        command.Parameters.Add(new() { Value = records.Select(r => Uuid7.GetUnixTimeMilliseconds(r.RecordId)).ToArray() });
        command.Parameters.Add(new() { Value = records.Select(r => _upgradedThrough[r.Source]).ToArray() });
        var backed = new bool[records.Count];
        var debited = new long?[records.Count];
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var index = (int)reader.GetInt64(0) - 1;
                if (reader.GetBoolean(1))
                {
                    backed[index] = true;
                    continue;
                }

                if (reader.IsDBNull(2))
                {
                    continue;
                }

                var record = records[index];
                var transferId = reader.GetGuid(2);
                var derived = record.Kind == OperationKind.TransferIn ? TransferRecordIds.Credit(transferId) : TransferRecordIds.Refund(transferId);
                if (derived == record.RecordId || AsEarlierVersionsStampedIt(derived) == record.RecordId)
                {
                    var amount = reader.GetInt64(3);
                    backed[index] |= amount == record.Amount;
                    debited[index] = amount == record.Amount ? null : amount;
                }
            }
        }

        return records.Select((record, index) => (record, debited[index])).Where((_, index) => !backed[index]).ToList();
    }

    /// <summary>
    /// Reads, for each of <paramref name="sources"/>, the time of the newest record an upgrade from before
    /// the journal numbered: those come first (sequence 1 on) and are recorded at the epoch, so one index
    /// probe tells an account that was not upgraded.
    /// </summary>
    private async Task ReadUpgradedThroughAsync(string[] sources, CancellationToken cancellationToken)
    {
        if (sources.Length == 0)
        {
            return;
        }

        await using var command = dataSource.CreateCommand("""
            SELECT s.source,
                   CASE WHEN EXISTS (SELECT 1 FROM rm_operation_journal u WHERE u.service_id = $1 AND u.account_id = s.source
                                     AND u.sequence = 1 AND u.recorded_at = timestamptz 'epoch')
                        THEN (SELECT max(u.operation_time_ms) FROM rm_operation_journal u WHERE u.service_id = $1 AND u.account_id = s.source
                              AND u.recorded_at = timestamptz 'epoch') END
            FROM unnest($2::text[]) AS s(source)
            """);
        command.Parameters.Add(new() { Value = serviceId });
        command.Parameters.Add(new() { Value = sources });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            _upgradedThrough[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        }
    }

    /// <summary>A derived ID as versions before the current scheme stamped it: UUID version 7 instead of 8, the rest the same.</summary>
    internal static Guid AsEarlierVersionsStampedIt(Guid derived)
    {
        Span<byte> bytes = stackalloc byte[16];
        derived.TryWriteBytes(bytes, bigEndian: true, out _);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>The ID with <paramref name="id"/>'s first 6 bytes (its UUIDv7 timestamp) and every other byte <paramref name="fill"/>.</summary>
    private static Guid WithSameMillisecond(Guid id, byte fill)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        bytes[6..].Fill(fill);
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>A credit or a refund, with the two ends of its transfer.</summary>
    private sealed record TransferRecord(string Holder, Guid RecordId, OperationKind Kind, long Amount, string Source, string Destination);
}
