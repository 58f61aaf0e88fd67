using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Journal;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// The exactly-once rules of one account, as plain code over <see cref="AccountState"/>:
/// validation, replay from the record (the window, or the journal for records that left it), the
/// reused-ID check, admission, the business rule (no overdraft) and recording the outcome. It never
/// persists anything and never awaits; the grain and <see cref="AccountCommitPipeline"/> do.
/// </summary>
public sealed class AccountRules
{
    private readonly OperationWindow _window;
    private readonly long _maxClockSkewMs;
    private readonly long? _retentionMs;
    private readonly long? _maxOperationAgeMs;
    private readonly int _maxPendingTransfers;
    private readonly int _maxQueued;

    public AccountRules(AccountOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _window = new OperationWindow(options.OperationWindowSize);
        _maxClockSkewMs = (long)options.MaxClockSkew.TotalMilliseconds;
        _retentionMs = options.JournalRetention is { } retention ? (long)retention.TotalMilliseconds : null;
        _maxOperationAgeMs = options.MaxOperationAge is { } age ? (long)age.TotalMilliseconds : null;
        _maxPendingTransfers = options.MaxPendingTransfers;
        MaxUnjournaled = options.MaxUnjournaledOperations;
        _maxQueued = options.MaxQueuedOperations;
    }

    /// <summary>Committed records the journal has not confirmed, past which new operations are refused.</summary>
    public int MaxUnjournaled { get; }

    /// <summary>
    /// Whether <paramref name="pending"/> (the state the next write will carry) already holds as many
    /// records beyond <paramref name="committed"/> as may wait for one write: a new operation of
    /// <paramref name="kind"/> is then refused as unavailable instead of being added to it. Never a
    /// transfer's credit: the sources' outboxes bound those already, and a credit retried at its
    /// delivery's pace (up to a minute) would otherwise lose every freed place to clients retrying
    /// within a second, for as long as the account stays busy.
    /// </summary>
    public bool IsQueueFull(AccountState pending, AccountState committed, OperationKind kind)
    {
        ArgumentNullException.ThrowIfNull(pending);
        ArgumentNullException.ThrowIfNull(committed);
        return kind != OperationKind.TransferIn && pending.LastSequence - committed.LastSequence >= _maxQueued;
    }

    /// <summary>Marks the account open. Returns false (and changes nothing) when it already was.</summary>
    public static bool Open(AccountState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.IsOpen)
        {
            return false;
        }

        state.IsOpen = true;
        state.Version++;
        return true;
    }

    /// <summary>
    /// Numbers the records of a state written before records had sequences (in the window's order),
    /// so they are journaled like every other. Returns false when there was nothing to do.
    /// </summary>
    public static bool Upgrade(AccountState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.Operations.Exists(r => r.Sequence == 0))
        {
            return false;
        }

        for (var i = 0; i < state.Operations.Count; i++)
        {
            if (state.Operations[i].Sequence == 0)
            {
                state.Operations[i] = state.Operations[i] with { Sequence = ++state.LastSequence };
            }
        }

        return true;
    }

    /// <summary>
    /// Decides whether <paramref name="request"/> executes, without changing anything: a replay of its
    /// record, a refusal, "execute", or "look it up in the journal first" when its record may have left
    /// the window. <paramref name="journal"/> is that look-up, once made.
    /// </summary>
    public Admission Admit(AccountState state, in OperationRequest request, DateTimeOffset now, JournalLookup? journal = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var (kind, operationId, amount, counterparty, _) = request;

        // Clients' operations carry UUIDv7s; a transfer's credit carries an ID derived from the
        // transfer's (version 8), so neither can take the other's key.
        if (kind == OperationKind.TransferIn ? !Uuid7.IsDerived(operationId) : !Uuid7.IsValid(operationId))
        {
            return Refuse(request, OperationStatus.InvalidOperationId);
        }

        if (amount <= 0)
        {
            return Refuse(request, OperationStatus.InvalidAmount);
        }

        // A credit refused for good stays refused (its source refunded), also once the account is open.
        if (kind == OperationKind.TransferIn && FindRefusedCredit(state, operationId) is { } refused)
        {
            return Admission.Answered(OperationResult.Refused(operationId, kind, amount, refused.Status) with { IsReplay = true });
        }

        if (!state.IsOpen)
        {
            return Refuse(request, OperationStatus.AccountNotFound);
        }

        // A recorded outcome is always replayed, from the window or from the journal, whatever its age.
        if (OperationWindow.Find(state, operationId) is { } recorded)
        {
            return Replay(recorded, request);
        }

        var timestamp = Uuid7.GetUnixTimeMilliseconds(operationId);
        if (timestamp <= state.EvictedThroughUnixMs)
        {
            // Evicted by a version without a journal: unverifiable for good.
            return Refuse(request, OperationStatus.OperationExpired);
        }

        if (OperationWindow.MayBeInJournalOnly(state, operationId))
        {
            if (journal is null || !OperationWindow.HoldsEverythingAfter(state, journal.AsOfSequence))
            {
                return Admission.LookUpJournal;
            }

            if (journal.Find(operationId) is { } journaled)
            {
                return Replay(journaled, request);
            }

            if (timestamp <= journal.PrunedThroughUnixMs)
            {
                return Refuse(request, OperationStatus.OperationExpired);
            }
        }

        // Never executed. Whether it may execute now is policy: retention, staleness, clock skew, limits.
        // Staleness (MaxOperationAge) is a limit on clients' requests: a credit is the tail of a
        // transfer its source admitted, and its source refunds nothing it cannot prove unapplied,
        // so within the retention (where "not found" is proof) a credit is never refused for its age.
        var nowMs = now.ToUnixTimeMilliseconds();
        if (IsPastRetention(timestamp, now)
            || (_maxOperationAgeMs is { } maxAge && kind != OperationKind.TransferIn && timestamp < nowMs - maxAge))
        {
            return Refuse(request, OperationStatus.OperationExpired);
        }

        // A credit no older than a refusal this account had to forget may be that refused credit: its
        // source refunded, so it is refused alike (its source refunds, or already has), never applied.
        if (kind == OperationKind.TransferIn && timestamp <= state.RefusedCreditsForgottenThroughUnixMs)
        {
            return Refuse(request, OperationStatus.AccountNotFound);
        }

        if (timestamp > nowMs + _maxClockSkewMs)
        {
            return Refuse(request, OperationStatus.OperationIdFromFuture);
        }

        if (kind == OperationKind.TransferOut && state.PendingTransfers.Count >= _maxPendingTransfers)
        {
            return Refuse(request, OperationStatus.TooManyPendingTransfers);
        }

        if (kind is OperationKind.Deposit or OperationKind.TransferIn && !HasRoomFor(state, amount))
        {
            return Refuse(request, OperationStatus.InvalidAmount);
        }

        return Admission.Execute;
    }

    /// <summary>
    /// Applies the rules to <paramref name="state"/>: answers as <see cref="Admit"/> does, or executes,
    /// records the outcome and returns it. <see cref="OperationResult.IsRecorded"/> with
    /// <c>IsReplay == false</c> means the state changed. Throws when the journal must be asked first.
    /// </summary>
    public OperationResult Process(AccountState state, in OperationRequest request, DateTimeOffset now, JournalLookup? journal = null)
    {
        var admission = Admit(state, request, now, journal);
        switch (admission.Verdict)
        {
            case AdmissionVerdict.Answered:
                return admission.Answer!;
            case AdmissionVerdict.LookUpJournal:
                throw new InvalidOperationException($"Operation {request.OperationId} may be in the journal: look it up first.");
        }

        var (kind, operationId, amount, counterparty, issuedBy) = request;
        var status = OperationStatus.Succeeded;
        TransferState? transfer = null;
        switch (kind)
        {
            case OperationKind.Deposit or OperationKind.TransferIn:
                state.Balance += amount;
                break;
            case OperationKind.Withdrawal or OperationKind.TransferOut when amount > state.Balance:
                status = OperationStatus.InsufficientFunds;
                break;
            case OperationKind.Withdrawal:
                state.Balance -= amount;
                break;
            case OperationKind.TransferOut:
                // The debit and the outbox entry commit in the same write.
                state.Balance -= amount;
                state.PendingTransfers.Add(new PendingTransfer(operationId, counterparty!, amount, now.ToUnixTimeMilliseconds()));
                transfer = TransferState.Pending;
                break;
            case OperationKind.TransferRefund or OperationKind.TransferFinished:
                throw new ArgumentOutOfRangeException(nameof(request), kind, "Recorded by the account itself, never requested.");
        }

        var record = Record(state, new OperationRecord(operationId, kind, amount, status, state.Balance, counterparty, transfer) { IssuedBy = issuedBy }, now);
        state.Version++;
        return record.ToResult(isReplay: false);
    }

    /// <summary>
    /// How many credits refused for good an account remembers one by one (about 8 KB of state). Entries
    /// older than <see cref="RefusedCreditAge"/> go first; past this many within that age the oldest goes;
    /// either way what goes raises <see cref="AccountState.RefusedCreditsForgottenThroughUnixMs"/>: every credit not applied
    /// and no newer than it is then refused (a legitimate late credit that old is refunded, never lost).
    /// </summary>
    public const int MaxRefusedCredits = 256;

    /// <summary>
    /// How long a refused credit is remembered one by one (unless <see cref="MaxRefusedCredits"/> newer ones
    /// crowd it out); after that the floor refuses it. A later delivery of it comes from an older
    /// activation of its source, one that outlived a failure detection measured in seconds.
    /// </summary>
    public static readonly TimeSpan RefusedCreditAge = TimeSpan.FromDays(7);

    /// <summary>
    /// Remembers that the credit <paramref name="request"/> was refused for good with
    /// <paramref name="status"/> (its source refunds), so that every later delivery of it is refused alike.
    /// </summary>
    public static void RecordRefusedCredit(AccountState state, in OperationRequest request, OperationStatus status, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var refused = state.RefusedCredits ??= [];
        var oldest = (now - RefusedCreditAge).ToUnixTimeMilliseconds();
        foreach (var expired in refused.Where(r => r.RefusedUnixMs < oldest))
        {
            // Forgotten by age, it is refused through the floor all the same: a frozen silo's activation
            // of its source could deliver it even later than a week (money created after the refund).
            state.RefusedCreditsForgottenThroughUnixMs = Math.Max(state.RefusedCreditsForgottenThroughUnixMs, Uuid7.GetUnixTimeMilliseconds(expired.CreditId));
        }

        refused.RemoveAll(r => r.RefusedUnixMs < oldest);
        if (refused.Count >= MaxRefusedCredits)
        {
            var forgotten = Uuid7.GetUnixTimeMilliseconds(refused[0].CreditId);
            state.RefusedCreditsForgottenThroughUnixMs = Math.Max(state.RefusedCreditsForgottenThroughUnixMs, forgotten);
            refused.RemoveAt(0);
        }

        refused.Add(new RefusedCredit(request.OperationId, status, now.ToUnixTimeMilliseconds()));
        state.Version++;
    }

    /// <summary>The journal holds every record through <paramref name="sequence"/>; false when that was known.</summary>
    public bool MarkJournaled(AccountState state, long sequence) => _window.MarkJournaled(state, sequence);

    /// <summary>
    /// The destination acknowledged the credit (or an operator established that it landed): the
    /// transfer is completed. False when it was no longer pending.
    /// </summary>
    public bool CompleteTransfer(AccountState state, Guid transferId, DateTimeOffset now, string? issuedBy = null) =>
        FinishTransfer(state, transferId, TransferState.Completed, now, issuedBy) is not null;

    /// <summary>
    /// The destination refused for good (or an operator established that the credit did not land):
    /// the amount goes back to the source, once, recorded under an ID derived from the transfer ID.
    /// False when the transfer was no longer pending.
    /// </summary>
    public bool RefundTransfer(AccountState state, Guid transferId, DateTimeOffset now, string? issuedBy = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var pending = state.PendingTransfers.Find(p => p.TransferId == transferId);
        if (pending is null)
        {
            return false;
        }

        if (state.Balance > long.MaxValue - pending.Amount)
        {
            // Cannot happen: credits leave room for every pending refund (HasRoomFor). Should an old
            // state break that, the transfer stays pending (retried, alerted) rather than overflow.
            return false;
        }

        FinishTransfer(state, transferId, TransferState.Refunded, now, issuedBy);
        state.Balance += pending.Amount;
        Record(state, new OperationRecord(TransferRecordIds.Refund(transferId), OperationKind.TransferRefund, pending.Amount, OperationStatus.Succeeded, state.Balance, pending.To) { IssuedBy = issuedBy }, now);
        return true;
    }

    /// <summary>
    /// An outgoing transfer as this (source) account knows it. False when its record may be in the
    /// journal only: look up the transfer ID and <see cref="FinishedEventId"/> there, then ask again.
    /// </summary>
    public bool TryLookupTransfer(AccountState state, string from, Guid transferId, DateTimeOffset now, JournalLookup? journal, out TransferLookupResult result)
    {
        ArgumentNullException.ThrowIfNull(state);
        result = new(TransferLookupStatus.Unknown, null);
        if (!Uuid7.IsValid(transferId) || !state.IsOpen)
        {
            return true;
        }

        if (OperationWindow.Find(state, transferId) is { } inWindow)
        {
            if (inWindow.Kind == OperationKind.TransferOut)
            {
                result = new(TransferLookupStatus.Found, ToTransferResult(inWindow, from, isReplay: true));
            }

            return true;
        }

        var timestamp = Uuid7.GetUnixTimeMilliseconds(transferId);
        if (timestamp <= state.EvictedThroughUnixMs || IsPastRetention(timestamp, now))
        {
            result = new(TransferLookupStatus.Expired, null);
        }

        if (!OperationWindow.MayBeInJournalOnly(state, transferId))
        {
            return true;
        }

        if (journal is null)
        {
            return false;
        }

        if (journal.Find(transferId) is { Kind: OperationKind.TransferOut } journaled)
        {
            // The journal keeps the debit as it was recorded; how the transfer ended is its own row,
            // or the window's, or it is still in the outbox.
            var finishedId = FinishedEventId(transferId);
            var finished = OperationWindow.Find(state, finishedId) ?? journal.Find(finishedId);
            if (finished is null && journaled.Status == OperationStatus.Succeeded && journaled.Sequence <= state.LastSequence
                && !state.PendingTransfers.Exists(pending => pending.TransferId == transferId))
            {
                // Debited in this state and no longer in its outbox, so it finished; the row that says how
                // is gone: a prune deleted it first (its batches go in no order) and the debit is next.
                // "Pending" would be wrong; how it ended can no longer be told.
                result = new(TransferLookupStatus.Expired, null);
                return true;
            }

            var current = finished is not null
                ? journaled with { Transfer = finished.Transfer, FinishedUnixMs = finished.RecordedUnixMs }
                : journaled with { Transfer = journaled.Status == OperationStatus.Succeeded ? TransferState.Pending : null };
            result = new(TransferLookupStatus.Found, ToTransferResult(current, from, isReplay: true));
        }
        else if (journal.Find(transferId) is null && timestamp <= journal.PrunedThroughUnixMs)
        {
            result = new(TransferLookupStatus.Expired, null);
        }

        return true;
    }

    /// <summary>The ID of the record that says how a transfer finished.</summary>
    public static Guid FinishedEventId(Guid transferId) => TransferRecordIds.Finished(transferId);

    /// <summary>
    /// Refund room: a credit of <paramref name="amount"/> is admitted only if the balance can still
    /// take back every pending outgoing transfer afterwards, so a refund never overflows.
    /// </summary>
    public static bool HasRoomFor(AccountState state, long amount)
    {
        ArgumentNullException.ThrowIfNull(state);
        var room = long.MaxValue - amount;
        foreach (var pending in state.PendingTransfers)
        {
            room -= pending.Amount;
            if (room < 0)
            {
                return false;
            }
        }

        return state.Balance <= room;
    }


    /// <summary>The transfer view of a recorded transfer debit.</summary>
    public static TransferResult ToTransferResult(OperationRecord record, string from, bool isReplay)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new(record.OperationId, from, record.Counterparty ?? string.Empty, record.Amount, record.Status, record.Transfer,
            Uuid7.GetTimestamp(record.OperationId),
            record.FinishedUnixMs is { } finished ? DateTimeOffset.FromUnixTimeMilliseconds(finished) : null,
            isReplay);
    }

    /// <summary>
    /// What the account knows of one operation ID. False when its record may be in the journal only:
    /// look it up there, then ask again with <paramref name="journal"/>.
    /// </summary>
    public bool TryLookup(AccountState state, Guid operationId, DateTimeOffset now, JournalLookup? journal, out OperationLookupResult result)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!Uuid7.IsValid(operationId) && !Uuid7.IsDerived(operationId))
        {
            result = new(OperationLookupStatus.InvalidOperationId, null);
            return true;
        }

        if (!state.IsOpen)
        {
            result = new(OperationLookupStatus.AccountNotFound, null);
            return true;
        }

        if (OperationWindow.Find(state, operationId) is { } recorded)
        {
            result = new(OperationLookupStatus.Found, recorded.ToResult(isReplay: true), recorded.IssuedBy);
            return true;
        }

        var timestamp = Uuid7.GetUnixTimeMilliseconds(operationId);
        if (timestamp <= state.EvictedThroughUnixMs)
        {
            result = new(OperationLookupStatus.Expired, null);
            return true;
        }

        // Not found: past the retention its row may have been pruned; from beyond the clock skew a request
        // with it is refused, so "unknown, send it to settle it" would be advice that cannot be followed.
        // (Found in the journal below, it is found, whatever this silo's clock says.)
        result = new(
            IsPastRetention(timestamp, now) ? OperationLookupStatus.Expired
            : timestamp > now.ToUnixTimeMilliseconds() + _maxClockSkewMs ? OperationLookupStatus.InvalidOperationId
            : OperationLookupStatus.Unknown,
            null);
        if (!OperationWindow.MayBeInJournalOnly(state, operationId))
        {
            return true;
        }

        if (journal is null)
        {
            return false;
        }

        if (journal.Find(operationId) is { } journaled)
        {
            result = new(OperationLookupStatus.Found, journaled.ToResult(isReplay: true), journaled.IssuedBy);
        }
        else if (timestamp <= journal.PrunedThroughUnixMs)
        {
            result = new(OperationLookupStatus.Expired, null);
        }

        return true;
    }

    /// <summary>
    /// One statement page from the two tiers: <paramref name="journaled"/> (the journal's first rows
    /// after <paramref name="afterSequence"/>, read AFTER <paramref name="committed"/> was taken) and the
    /// window of <paramref name="committed"/>. Every committed record is in one of them, because records
    /// leave the window only once journaled, unless the journal's retention pruned it: then the page
    /// says how many were pruned and their effect, and a missing sequence is one of them.
    /// </summary>
    public static StatementPage Statement(AccountState committed, IReadOnlyList<OperationRecord> journaled, long afterSequence, int limit) =>
        Statement(committed, new JournalPage(journaled), afterSequence, limit);

    /// <inheritdoc cref="Statement(AccountState, IReadOnlyList{OperationRecord}, long, int)"/>
    public static StatementPage Statement(AccountState committed, JournalPage journal, long afterSequence, int limit)
    {
        ArgumentNullException.ThrowIfNull(journal);
        var journaled = journal.Records;
        ArgumentNullException.ThrowIfNull(committed);
        ArgumentNullException.ThrowIfNull(journaled);
        if (!committed.IsOpen)
        {
            return new(AccountStatus.NotFound, [], null, 0, 0);
        }

        var bySequence = new SortedDictionary<long, OperationRecord>();
        foreach (var record in journaled)
        {
            if (record.Sequence > afterSequence && record.Sequence <= committed.LastSequence)
            {
                bySequence[record.Sequence] = record;
            }
        }

        foreach (var record in committed.Operations)
        {
            // A record the retention pruned from the journal is counted in the page's tally, not listed,
            // even while the window still holds it (a quiet account keeps old records in its window);
            // one as old that the journal never held (it refused appends for longer) is listed.
            if (record.Sequence > afterSequence && !journal.CountsAsPruned(record))
            {
                // The window's copy wins: it is the same record, possibly with a transfer's later state.
                bySequence[record.Sequence] = record;
            }
        }

        var entries = bySequence.Values.Take(limit).Select(r => r.ToStatementEntry()).ToList();
        var last = entries.Count > 0 ? entries[^1].Sequence : afterSequence;
        var next = entries.Count > 0 ? entries[0].Sequence : committed.LastSequence + 1;
        // Records skipped before the first listed one must be pruned ones: one above the highest pruned
        // sequence never was, so it is lost (a gap).
        if (afterSequence < committed.LastSequence && next != afterSequence + 1 && next - 1 > journal.PrunedThroughSequence)
        {
            throw new InvalidOperationException($"The statement has a gap after sequence {afterSequence}: the next record found is {next}.");
        }

        // Past pruned records an empty page ends the statement (only pruned ones were left after the cursor).
        return new(AccountStatus.Open, entries, last < committed.LastSequence && entries.Count > 0 ? last : null, committed.Balance, committed.LastSequence,
            journal.PrunedRecords, journal.PrunedEffect);
    }

    private bool IsPastRetention(long timestamp, DateTimeOffset now) =>
        _retentionMs is { } retention && timestamp <= now.ToUnixTimeMilliseconds() - retention;

    private OperationRecord Record(AccountState state, OperationRecord record, DateTimeOffset now)
    {
        var numbered = record with { Sequence = ++state.LastSequence, RecordedUnixMs = now.ToUnixTimeMilliseconds() };
        _window.Record(state, numbered);
        return numbered;
    }

    private PendingTransfer? FinishTransfer(AccountState state, Guid transferId, TransferState outcome, DateTimeOffset now, string? issuedBy)
    {
        ArgumentNullException.ThrowIfNull(state);
        var index = state.PendingTransfers.FindIndex(p => p.TransferId == transferId);
        if (index < 0)
        {
            return null;
        }

        var pending = state.PendingTransfers[index];
        state.PendingTransfers.RemoveAt(index);
        if (OperationWindow.Find(state, transferId) is { } record)
        {
            OperationWindow.Replace(state, record with { Transfer = outcome, FinishedUnixMs = now.ToUnixTimeMilliseconds() });
        }

        // The debit's record may already be in the journal, which is never updated: the end is its own record.
        Record(state, new OperationRecord(FinishedEventId(transferId), OperationKind.TransferFinished, pending.Amount, OperationStatus.Succeeded, state.Balance, pending.To, outcome) { IssuedBy = issuedBy }, now);
        state.Version++;
        return pending;
    }

    private static Admission Replay(OperationRecord recorded, in OperationRequest request) =>
        recorded.HasFingerprint(request.Kind, request.Amount, request.Counterparty)
            ? Admission.Answered(recorded.ToResult(isReplay: true))
            : Refuse(request, OperationStatus.OperationIdReused);

    private static RefusedCredit? FindRefusedCredit(AccountState state, Guid creditId)
    {
        if (state.RefusedCredits is { } refused)
        {
            foreach (var credit in refused)
            {
                if (credit.CreditId == creditId)
                {
                    return credit;
                }
            }
        }

        return null;
    }

    private static Admission Refuse(in OperationRequest request, OperationStatus status) =>
        Admission.Answered(OperationResult.Refused(request.OperationId, request.Kind, request.Amount, status));
}
