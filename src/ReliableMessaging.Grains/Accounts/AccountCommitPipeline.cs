using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Journal;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// Group commit for one account, as plain code over a persistence delegate. While a state write
/// is in flight, further operations are decided by <see cref="AccountRules"/> against the pending
/// state (the "head") and gathered into the next batch, which is written as soon as the current
/// write ends. Every caller is answered only after the write that contains its operation
/// succeeded. If a write fails, every operation in it and in the batch gathered behind it (decided
/// on top of it) fails, the head returns to the last persisted state, and the pipeline refuses
/// further work: its owner retires and the next activation reloads from storage.
/// Reads (<see cref="Committed"/>, look-ups) only ever see persisted state. Not thread-safe: it
/// relies on the grain's single-threaded scheduler, and never awaits between deciding an
/// operation and enlisting it.
/// </summary>
public sealed class AccountCommitPipeline
{
    private readonly AccountRules _rules;
    private readonly Func<AccountState, Task> _persist;
    private readonly Action<Exception> _onFault;
    private readonly Func<IReadOnlyList<Guid>, Task<JournalLookup>> _lookUpJournal;
    private readonly Action<AccountState> _onCommitted;
    private readonly Func<AccountState, Exception?> _journalRefusal;
    private readonly Dictionary<Guid, CommitBatch> _pendingOperations = [];
    private AccountState _committed;
    private AccountState _head;
    private CommitBatch? _inFlight;
    private CommitBatch? _next;
    private CommitBatch? _pendingOpen;
    private Exception? _fault;
    private DateTimeOffset _latestDecision = DateTimeOffset.MinValue;

    /// <param name="rules">The exactly-once rules.</param>
    /// <param name="committed">The last persisted state; never mutated by the pipeline.</param>
    /// <param name="persist">Writes a state snapshot durably (one write); throws when it did not.</param>
    /// <param name="onFault">Called once, when a write failed.</param>
    /// <param name="lookUpJournal">Finds records that left the window; throws <see cref="AccountStorageException"/> when the journal is unreachable.</param>
    /// <param name="onCommitted">Called with each newly persisted state (to ship its records to the journal).</param>
    /// <param name="journalRefusal">
    /// Given the pending state (with every record decided so far, also those behind a write in flight),
    /// the journal's last failure while it is failing and too many of those records wait for it (new
    /// executions are refused); otherwise null.
    /// </param>
    public AccountCommitPipeline(
        AccountRules rules,
        AccountState committed,
        Func<AccountState, Task> persist,
        Action<Exception> onFault,
        Func<IReadOnlyList<Guid>, Task<JournalLookup>>? lookUpJournal = null,
        Action<AccountState>? onCommitted = null,
        Func<AccountState, Exception?>? journalRefusal = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(committed);
        ArgumentNullException.ThrowIfNull(persist);
        ArgumentNullException.ThrowIfNull(onFault);
        _rules = rules;
        _committed = committed;
        _head = committed.Clone();
        _persist = persist;
        _onFault = onFault;
        _lookUpJournal = lookUpJournal ?? (_ => Task.FromResult(new JournalLookup([], 0)));
        _onCommitted = onCommitted ?? (_ => { });
        _journalRefusal = journalRefusal ?? (_ => null);
    }

    /// <summary>The last persisted state.</summary>
    public AccountState Committed => _committed;

    /// <summary>True once a write failed: the pipeline accepts nothing more.</summary>
    public bool IsFaulted => _fault is not null;

    /// <summary>State writes started so far (each carries one batch).</summary>
    public int WritesStarted { get; private set; }

    public Task<OpenAccountResult> OpenAsync()
    {
        ThrowIfFaulted();
        if (_committed.IsOpen)
        {
            return Task.FromResult(new OpenAccountResult(OpenAccountStatus.AlreadyOpen, _committed.Balance, _committed.Version));
        }

        if (_pendingOpen is { } opening)
        {
            return AnswerAfter(opening, () => new OpenAccountResult(OpenAccountStatus.AlreadyOpen, _committed.Balance, _committed.Version));
        }

        AccountRules.Open(_head);
        var result = new OpenAccountResult(OpenAccountStatus.Opened, _head.Balance, _head.Version);
        _pendingOpen = Enlist(operationId: null);
        return AnswerAfter(_pendingOpen, () => result);
    }

    /// <summary>
    /// Decides and, when admitted, executes <paramref name="request"/>; answers once the write that
    /// holds it succeeded. When its record may have left the window, the journal is asked first and
    /// the decision is made again from scratch on the head as it is then.
    /// </summary>
    public async Task<OperationResult> ExecuteAsync(OperationRequest request, DateTimeOffset now)
    {
        ThrowIfFaulted();
        JournalLookup? journal = null;
        while (true)
        {
            now = DecisionTime(now);
            var admission = _rules.Admit(_head, request, now, journal);
            switch (admission.Verdict)
            {
                case AdmissionVerdict.LookUpJournal:
                    var asOf = _head.LastSequence;
                    journal = (await _lookUpJournal([request.OperationId])) with { AsOfSequence = asOf };
                    ThrowIfFaulted();
                    continue;
                case AdmissionVerdict.Answered:
                    var answer = admission.Answer!;

                    // A duplicate of an operation that is decided but not yet durable waits for that write.
                    if (answer.IsReplay && _pendingOperations.TryGetValue(request.OperationId, out var pending))
                    {
                        return await AnswerAfter(pending, () => answer);
                    }

                    // A refusal decided on pending state (reused, expired, overflow, outbox full) is given
                    // only once that state is durable; if its write fails, the caller gets the storage error.
                    // Refusals of the input alone (not a UUIDv7, not a positive amount) need no state.
                    var ofInputAlone = answer.Status == OperationStatus.InvalidOperationId || request.Amount <= 0;
                    if (answer.IsReplay || ofInputAlone)
                    {
                        return answer;
                    }

                    // A credit refused for good on this state makes its source refund. The refusal is
                    // recorded, so a later delivery of the same credit (from an older activation of the
                    // source that still holds the transfer) is refused alike, even once the account is open;
                    // and its write checks the state: an older activation of this account (a silo paused
                    // and declared dead, a split brain) that loaded it before the account opened or the
                    // credit landed fails on the row's ETag, and nothing is answered. Refusals that lead to
                    // no refund (from the future, expired: retried or held) write nothing.
                    if (request.Kind == OperationKind.TransferIn && TransferDelivery.Classify(answer.Status) == CreditVerdict.Refund)
                    {
                        // Only refusals that time could undo (the account opened, room freed) need
                        // remembering; "reused" is answered from the record holding the ID.
                        if (answer.Status is OperationStatus.AccountNotFound or OperationStatus.InvalidAmount)
                        {
                            Change((request, answer.Status, now), static (head, refusal) =>
                            {
                                AccountRules.RecordRefusedCredit(head, refusal.request, refusal.Status, refusal.now);
                                return true;
                            });
                            return await AnswerAfter(Enlist(request.OperationId), () => answer);
                        }

                        await ConfirmAsync();
                        return answer;
                    }

                    if ((_next ?? _inFlight) is { } latest)
                    {
                        return await AnswerAfter(latest, () => answer);
                    }

                    return answer;
            }

            if (_journalRefusal(_head) is { } failure)
            {
                // An outage is "retry"; a journal that refuses the records the same way every time (a
                // missing grant, a missing migration, rows the database refuses) is an error an operator
                // must fix, never "retry". Without the failure as inner exception: the journal's and
                // Npgsql's exceptions have no codec outside the silo.
                throw failure is JournalUnavailableException { IsRefusal: false }
                    ? new AccountStorageException(
                        $"The operation journal is unavailable and {_head.Unjournaled} records wait for it; nothing was executed. Retry with the same operation ID.")
                    : new InvalidOperationException(
                        $"The operation journal fails on this account's records ({failure.Message}) and {_head.Unjournaled} wait for it; nothing was executed. An operator must look (the silo logs errors 3002 and 1030).");
            }

            if (_rules.IsQueueFull(_head, _committed, request.Kind))
            {
                // The state write in flight is slow (the database struggles): adding more to the next
                // one would only make it larger and slower. Refused before anything is decided.
                throw new AccountStorageException(
                    $"{_head.LastSequence - _committed.LastSequence} operations wait for this account's state write; nothing was executed. Retry with the same operation ID.");
            }

            // No await between this decision and enlisting it.
            var result = Change((_rules, request, now, journal), static (head, call) => call._rules.Process(head, call.request, call.now, call.journal));
            var batch = Enlist(request.OperationId);
            return await AnswerAfter(batch, () => result);
        }
    }

    /// <summary>
    /// Decisions are taken in time order: a call that waited for the journal while a duplicate was
    /// refused as too old must be refused too, never executed on the older time it arrived with
    /// (a credit answered "expired" and then applied would pay the money twice).
    /// </summary>
    private DateTimeOffset DecisionTime(DateTimeOffset now) => _latestDecision = now > _latestDecision ? now : _latestDecision;

    /// <summary>
    /// Applies an internal state transition (e.g. a transfer completing) through the same batches.
    /// Returns false at once, with no write, when <paramref name="transition"/> changed nothing.
    /// </summary>
    public Task<bool> ApplyAsync(Func<AccountState, bool> transition)
    {
        ArgumentNullException.ThrowIfNull(transition);
        ThrowIfFaulted();
        if (!Change(transition, static (head, change) => change(head)))
        {
            return Task.FromResult(false);
        }

        return AnswerAfter(Enlist(operationId: null), () => true);
    }

    /// <summary>
    /// Writes the state as it is, to check it: the write fails on the row's ETag (and the pipeline
    /// retires) when another activation wrote the row since this one loaded it.
    /// </summary>
    public Task ConfirmAsync()
    {
        ThrowIfFaulted();
        return AnswerAfter(Enlist(operationId: null), () => true);
    }

    /// <summary>
    /// What the account knows of one operation ID, from persisted state and the journal only. "Never
    /// executed" is answered only after a write checked that state: an older activation (a paused silo's,
    /// a split brain's) would deny an operation the current one executed, and its write fails on the
    /// row's ETag instead. Concurrent look-ups and operations share that write (group commit).
    /// </summary>
    public async Task<OperationLookupResult> LookupAsync(Guid operationId, DateTimeOffset now)
    {
        var result = await LookupCommittedAsync(operationId, now);
        if (result.Status != OperationLookupStatus.Unknown)
        {
            return result;
        }

        await ConfirmAsync();
        return await LookupCommittedAsync(operationId, now);
    }

    private async Task<OperationLookupResult> LookupCommittedAsync(Guid operationId, DateTimeOffset now)
    {
        ThrowIfFaulted();
        if (_pendingOperations.TryGetValue(operationId, out var pending))
        {
            await pending.Completion;
        }

        var committed = _committed;
        if (_rules.TryLookup(committed, operationId, now, null, out var result))
        {
            return result;
        }

        var journal = await _lookUpJournal([operationId]);
        _rules.TryLookup(committed, operationId, now, journal, out result);
        return result;
    }

    /// <summary>An outgoing transfer as this account knows it, from persisted state and the journal only.</summary>
    public async Task<TransferLookupResult> LookupTransferAsync(string accountId, Guid transferId, DateTimeOffset now)
    {
        ThrowIfFaulted();
        if (_pendingOperations.TryGetValue(transferId, out var pending))
        {
            await pending.Completion;
        }

        var committed = _committed;
        if (_rules.TryLookupTransfer(committed, accountId, transferId, now, null, out var result))
        {
            return result;
        }

        var journal = await _lookUpJournal([transferId, AccountRules.FinishedEventId(transferId)]);
        _rules.TryLookupTransfer(committed, accountId, transferId, now, journal, out result);
        return result;
    }

    /// <summary>
    /// One page of the statement: the committed state is taken BEFORE the journal is read, so a
    /// record that leaves the window meanwhile is already in the journal when it is read.
    /// </summary>
    public async Task<StatementPage> StatementAsync(long afterSequence, int limit, Func<long, int, Task<JournalPage>> readJournal)
    {
        ArgumentNullException.ThrowIfNull(readJournal);
        ThrowIfFaulted();
        var committed = _committed;

        // Read even when the page is all in the window, and whatever the stored state says the journal
        // holds (that lags behind: it is saved with the next write): the journal also says what its
        // retention pruned, records the window may still hold.
        var journaled = committed.IsOpen && committed.LastSequence > 0
            ? await readJournal(afterSequence, limit)
            : new JournalPage([]);
        return AccountRules.Statement(committed, journaled, afterSequence, limit);
    }

    /// <summary>The journal holds every record through <paramref name="sequence"/>: they may leave the window with the next write.</summary>
    public void MarkJournaled(long sequence)
    {
        if (_fault is null)
        {
            _rules.MarkJournaled(_head, Math.Min(sequence, _head.LastSequence));
        }
    }

    private CommitBatch Enlist(Guid? operationId)
    {
        var batch = _next ??= new CommitBatch();
        batch.Size++;
        if (operationId is { } id)
        {
            batch.OperationIds.Add(id);
            _pendingOperations[id] = batch;
        }

        if (_inFlight is null)
        {
            // Runs synchronously up to the first write; the loop never throws.
            _ = WriteLoopAsync();
        }

        return batch;
    }

    private async Task WriteLoopAsync()
    {
        while (_fault is null && _next is { } batch)
        {
            _next = null;
            _inFlight = batch;
            var snapshot = _head.Clone();
            WritesStarted++;
            try
            {
                await _persist(snapshot);
            }
            catch (Exception exception)
            {
                Fault(exception);
                return;
            }

            // Committed writes only: a failed one carried nothing (its callers are told so).
            AccountMetrics.CommitBatchSize.Record(batch.Size);

            _committed = snapshot;
            _inFlight = null;
            _onCommitted(snapshot);
            foreach (var id in batch.OperationIds)
            {
                _pendingOperations.Remove(id);
            }

            if (ReferenceEquals(_pendingOpen, batch))
            {
                _pendingOpen = null;
            }

            batch.Succeed();
        }
    }

    /// <summary>
    /// Runs a change of the head. One that throws (an invariant a rule checks half-way, a bug) may have
    /// changed the head half-way, and the next batch would write that with whatever else it carries: the
    /// pipeline retires as after a failed write instead (the account reloads its persisted state; the
    /// operations gathered for the next write are refused as unavailable, nothing acknowledged), and the
    /// exception itself goes to the caller whose change it was (an error, never "retry"). A write already
    /// in flight carries a snapshot from before the change: it ends and answers its callers as it would have.
    /// </summary>
    private T Change<TArgument, T>(TArgument argument, Func<AccountState, TArgument, T> change)
    {
        // The change's arguments travel apart from a static delegate: no closure per operation.
        try
        {
            return change(_head, argument);
        }
        catch (Exception exception)
        {
            Fault(
                new AccountStorageException(
                    "The account is reloading after an internal error in another operation; nothing was acknowledged. Retry with the same operation ID.",
                    exception),
                inFlightStands: true);
            throw;
        }
    }

    /// <summary>Retires the pipeline: it refuses all work from now on, and its owner reloads the account.</summary>
    /// <param name="exception">What the failed callers get.</param>
    /// <param name="inFlightStands">
    /// The write in flight (if any) is not part of the failure: it carries a consistent snapshot and
    /// answers its callers when it ends (a failure of its own faults the pipeline again).
    /// </param>
    private void Fault(Exception exception, bool inFlightStands = false)
    {
        // Retire first, then tell the callers: none of them may see the failure before the
        // pipeline refuses work and its owner has been told to reload.
        _fault = exception;
        _head = _committed;
        var failed = (inFlightStands ? null : _inFlight, _next);
        if (!inFlightStands)
        {
            _inFlight = null;
        }

        _next = null;
        _pendingOpen = null;
        _pendingOperations.Clear();
        _onFault(exception);
        failed.Item1?.Fail(exception);
        failed.Item2?.Fail(exception);
    }

    private void ThrowIfFaulted()
    {
        if (_fault is not null)
        {
            throw new AccountStorageException(
                "The account is reloading after a failed write; nothing was acknowledged. Retry with the same operation ID.");
        }
    }

    private static async Task<T> AnswerAfter<T>(CommitBatch batch, Func<T> answer)
    {
        await batch.Completion;
        return answer();
    }
}
