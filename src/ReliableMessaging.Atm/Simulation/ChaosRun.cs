using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using ReliableMessaging.Atm.Attack;
using ReliableMessaging.Atm.Bank;
using ReliableMessaging.Atm.Checking;
using ReliableMessaging.Atm.Cli;
using ReliableMessaging.Atm.Faults;
using ReliableMessaging.Atm.Reporting;
using ReliableMessaging.Client;

namespace ReliableMessaging.Atm.Simulation;

/// <summary>One run: ATMs play while faults are injected, then everything is reconciled and summarised.</summary>
public static class ChaosRun
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    public static async Task<int> RunAsync(AtmOptions options, TextWriter output, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var clock = Stopwatch.StartNew();
        var counters = new RunCounters();
        var journal = new OperationJournal();
        var progress = new ProgressReporter(output, clock, counters);
        var throughput = new ThroughputRecorder(clock, options.ThroughputInterval);
        var seed = options.Seed ?? Random.Shared.Next();
        // Accounts of every run are new, so a run against a database that outlived earlier runs starts from zero balances.
        var runTag = "atm" + DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString("x", CultureInfo.InvariantCulture);

        await using var services = BankServices.Build(options, counters);
        var bank = services.GetRequiredService<ReliableMessagingClient>();

        // The attacker has a connection of its own; its attempts are not the ATMs' (their counters stay theirs).
        await using var attackerServices = options.AttackRatio > 0 ? BankServices.Build(options, new RunCounters()) : null;
        var attacker = attackerServices is null ? null : new Attacker(attackerServices.GetRequiredService<ReliableMessagingClient>(), journal, options.AttackRatio);

        FaultInjector? faults = null;
        var silos = 0;
        if (options.ClusterDirectory is { } clusterDirectory)
        {
            var script = options.ClusterScript ?? ClusterControl.FindScript();
            if (script is null)
            {
                output.WriteLine("scripts/cluster.sh not found: pass --cluster-script.");
                return 3;
            }

            var cluster = new ClusterControl(script, clusterDirectory);
            silos = cluster.ReadSiloCount();
            var plan = new FaultPlan(options.Duration, options.KillEvery, options.RestartAfter, options.PostgresRestarts, options.PostgresDown, options.StorageFaultsEvery,
                options.PauseEvery, options.PauseFor, options.MaxPauses, options.HangDatabasePathEvery, options.StepOutWait, options.MaxDatabasePathHangs);
            faults = new FaultInjector(cluster, silos, plan, counters, journal, progress.Event, seed);
        }

        progress.Event(string.Create(CultureInfo.InvariantCulture,
            $"{options.Atms} ATMs x {(options.SharedAccounts > 0 ? $"the same {options.SharedAccounts} (hot)" : options.AccountsPerAtm.ToString(CultureInfo.InvariantCulture))} accounts against {options.Api} for {options.Duration.TotalSeconds:0} s; client timeout {options.ClientTimeout.TotalSeconds:0.#} s, up to {options.MaxAttempts} attempts; seed {seed}; accounts {runTag}-*"));
        if (attacker is not null || options.AheadRatio > 0)
        {
            progress.Event(string.Create(CultureInfo.InvariantCulture,
                $"attacker on {options.AttackRatio:P0} of the transfers and operations; {options.AheadRatio:P0} of the transfer IDs stamped {options.AheadBy.TotalSeconds:0.#} s ahead"));
        }

        if (faults is not null)
        {
            progress.Event("fault schedule: " + string.Join(", ", faults.Schedule.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Kind} at {f.At.TotalSeconds:0.#} s"))));
        }
        else
        {
            progress.Event("no --cluster-dir: no faults are injected");
        }

        if (!await WaitReadyAsync(bank, abort))
        {
            output.WriteLine($"The front end at {options.Api} was not ready within {ReadyTimeout.TotalSeconds:0} s.");
            return 3;
        }

        IReadOnlyList<string>? shared = null;
        if (options.SharedAccounts > 0)
        {
            // Hot-account mode: a few accounts take every ATM's traffic, far more operations than their windows hold.
            var slots = await Task.WhenAll(Enumerable.Range(1, options.SharedAccounts).Select(i =>
                SimulatedAtm.OpenAccountAsync(string.Create(CultureInfo.InvariantCulture, $"{runTag}-hot-{i:D3}"), bank, journal, counters, abort)));
            shared = slots.OfType<AccountSlot>().Select(slot => slot.AccountId).ToList();
        }

        var atms = Enumerable.Range(1, options.Atms)
            .Select(i => new SimulatedAtm(string.Create(CultureInfo.InvariantCulture, $"{runTag}-{i:D3}"), options.AccountsPerAtm, options.RetireAfter,
                options.ThinkTime, options.DuplicateRate, options.TransferRatio, bank, journal, counters, throughput, seed + i, shared,
                attacker, options.AheadRatio, options.AheadBy))
            .ToList();
        var opened = await Task.WhenAll(atms.Select(atm => atm.OpenAccountsAsync(abort)));
        progress.Event($"{counters[Counter.AccountsOpened]} accounts opened");

        var trafficStart = clock.Elapsed;
        if (opened.All(ok => ok))
        {
            using var stopIssuing = new CancellationTokenSource();
            using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(abort);
            using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(abort);
            var progressTask = progress.RunAsync(options.ProgressEvery, stopProgress.Token);
            var faultClock = Stopwatch.StartNew();
            throughput.Start();
            var faultTask = faults?.RunAsync(faultClock, abort) ?? Task.CompletedTask;
            var trafficEnd = StopIssuingAsync();
            try
            {
                await Task.WhenAll(atms.Select(atm => atm.RunAsync(stopIssuing.Token, abort)));
            }
            finally
            {
                // ATMs that all stopped early (or failed) end the wait too; it never throws.
                await stopWaiting.CancelAsync();
                await trafficEnd;
            }

            throughput.Stop();
            progress.Event("traffic stopped; " + progress.Line());
            await faultTask;
            await stopProgress.CancelAsync();
            await progressTask;

            async Task StopIssuingAsync()
            {
                try
                {
                    await TrafficEnd.WaitAsync(options.Duration, options.FaultOverrun, TrafficEnd.Tail, faultTask, progress.Event, stopWaiting.Token);
                }
                catch (OperationCanceledException) when (stopWaiting.IsCancellationRequested)
                {
                    // The ATMs stopped before the wait ended, or the run is being aborted (the ATMs report that).
                }
                finally
                {
                    await stopIssuing.CancelAsync();
                    // From the moment no new operation is issued, not once the last in flight drained: a fault that
                    // comes due while calls stuck on the previous one drain would run without traffic.
                    faults?.TrafficEnded(faultClock.Elapsed);
                }
            }
        }

        var trafficSeconds = (clock.Elapsed - trafficStart).TotalSeconds;
        var unanswered = journal.Entries.Count(entry => entry.Answer?.Kind == OutcomeKind.Unanswered)
            + journal.Transfers.Count(entry => entry.Answer?.Kind == OutcomeKind.Unanswered);
        if (!await WaitReadyAsync(bank, abort))
        {
            journal.AddSetupError("the front end was not ready for the reconciliation");
        }

        if (unanswered > 0 && options.Settle > TimeSpan.Zero)
        {
            // A request whose answer never came may still sit in a grain's queue; let it run or expire
            // before deciding whether it executed.
            progress.Event($"{unanswered} operation(s) never answered; settling {options.Settle.TotalSeconds:0} s before resolving them");
            await Task.Delay(options.Settle, abort);
        }

        // Before the reconciliation, so that a late replay that executed again shows in its balances.
        var lateReplays = new LateReplayCheck(bank, journal);
        await lateReplays.RunAsync(parallelism: 16, abort);
        progress.Event($"sent {lateReplays.Compared:N0} of the accounts' earliest acknowledged operations again");

        progress.Event($"reconciling {journal.Entries.Count:N0} operations and {journal.Transfers.Count:N0} transfers on {journal.Accounts.Count:N0} accounts");
        var reconciler = new Reconciler(bank, journal, parallelism: 16, options.TransferWait);
        await reconciler.ReconcileAsync(abort);

        var summary = Summarise(options, silos, trafficSeconds, clock, counters, journal, reconciler, throughput, attacker) with { LateReplaysCompared = lateReplays.Compared };
        output.WriteLine();
        output.Write(summary.ToTable());
        output.WriteLine();
        output.Write(summary.ThroughputTable());
        foreach (var violation in summary.Violations.Take(50))
        {
            output.WriteLine("VIOLATION " + violation);
        }

        foreach (var error in summary.SetupErrors.Append(summary.NothingVerified).OfType<string>())
        {
            output.WriteLine("RUN ERROR " + error);
        }

        output.WriteLine(summary.ExitCode switch
        {
            0 => "RESULT: exactly-once held: no violation.",
            1 => $"RESULT: {summary.ViolationCount} violation(s).",
            _ => "RESULT: the run could not be carried out as asked (see RUN ERROR).",
        });
        if (options.SummaryJsonPath is { } path)
        {
            await File.WriteAllTextAsync(path, summary.ToJson(), abort);
        }

        return summary.ExitCode;
    }

    private static async Task<bool> WaitReadyAsync(ReliableMessagingClient bank, CancellationToken abort)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ReadyTimeout)
        {
            if (await bank.IsReadyAsync(abort))
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), abort);
        }

        return false;
    }

    private static RunSummary Summarise(
        AtmOptions options, int silos, double trafficSeconds, Stopwatch clock, RunCounters counters, OperationJournal journal, Reconciler reconciler,
        ThroughputRecorder throughput, Attacker? attacker)
    {
        AttackFigures Attacks(AttackKind kind) => attacker?.Figures(kind) ?? new AttackFigures(0, 0, 0, 0);
        var (stall, stallFrom) = throughput.LongestStall;
        var answers = journal.Entries.Select(entry => entry.Answer!).ToList();
        var transferAnswers = journal.Transfers.Select(entry => entry.Answer!).ToList();
        long Count(OutcomeKind kind) => answers.Count(answer => answer.Kind == kind);
        return new RunSummary
        {
            Atms = options.Atms,
            Silos = silos,
            DurationSeconds = trafficSeconds,
            WallClockSeconds = clock.Elapsed.TotalSeconds,
            AccountsOpened = counters[Counter.AccountsOpened],
            Operations = counters[Counter.OperationsIssued],
            Succeeded = Count(OutcomeKind.Succeeded),
            InsufficientFunds = Count(OutcomeKind.InsufficientFunds),
            Expired = answers.Count(answer => Answers.IsExpired(answer.Kind, answer.Error)),
            UnexpectedAnswers = answers.Count(answer => Answers.IsUnexpected(answer.Kind, answer.Error)),
            Unanswered = Count(OutcomeKind.Unanswered),
            ResolvedExecuted = reconciler.ResolvedExecuted,
            ResolvedNotExecuted = reconciler.ResolvedNotExecuted,
            Attempts = counters[Counter.Attempts],
            Retries = counters[Counter.Retries],
            Replays = counters[Counter.Replays],
            DuplicatesSent = counters[Counter.DuplicatesSent],
            Timeouts = counters[Counter.Timeouts],
            ConnectionErrors = counters[Counter.ConnectionErrors],
            StorageUnavailable = counters[Counter.StorageUnavailable],
            ClusterUnavailable = counters[Counter.ClusterUnavailable],
            ServerErrors = counters[Counter.ServerErrors],
            SiloKills = counters[Counter.SiloKills],
            SiloRestarts = counters[Counter.SiloRestarts],
            SiloPauses = counters[Counter.SiloPauses],
            PausedSilosStopped = counters[Counter.PausedSilosStopped],
            DatabasePathHangs = counters[Counter.DatabasePathHangs],
            SilosSteppedOut = counters[Counter.SilosSteppedOut],
            PostgresRestarts = counters[Counter.PostgresRestarts],
            StorageFaults = counters[Counter.StorageFaults],
            FaultErrors = counters[Counter.FaultErrors],
            TransfersIssued = counters[Counter.TransfersIssued],
            TransfersAnsweredAccepted = transferAnswers.Count(answer => answer.Kind == OutcomeKind.Succeeded),
            TransfersInsufficientFunds = transferAnswers.Count(answer => answer.Kind == OutcomeKind.InsufficientFunds),
            TransfersUnanswered = transferAnswers.Count(answer => answer.Kind == OutcomeKind.Unanswered),
            TransfersResolvedExecuted = reconciler.TransfersResolvedExecuted,
            TransfersResolvedNotExecuted = reconciler.TransfersResolvedNotExecuted,
            TransfersAccepted = reconciler.TransfersAccepted,
            TransfersCompleted = reconciler.TransfersCompleted,
            TransfersRefunded = reconciler.TransfersRefunded,
            TransfersStuck = reconciler.TransfersStuck,
            TransfersPendingAtEnd = reconciler.TransfersPendingAtEnd,
            TransfersInFlightAmount = reconciler.TransfersInFlightAmount,
            TooManyPendingTransfers = counters[Counter.TooManyPendingTransfers],
            AheadTransfers = counters[Counter.AheadTransfers],
            AheadTransfersAccepted = journal.Transfers.Count(entry => entry.Ahead && entry.Answer?.Kind == OutcomeKind.Succeeded),
            AheadTransfersRefused = counters[Counter.AheadTransfersRefused],
            AttackDerivedIds = Attacks(AttackKind.DerivedIdAsOperationKey),
            AttackTransferIdsAsOperationKeys = Attacks(AttackKind.TransferIdAsOperationKey),
            AttackTransferIdsForOtherTransfers = Attacks(AttackKind.TransferIdForAnotherTransfer),
            AttackOperationKeysAsTransferKeys = Attacks(AttackKind.OperationKeyAsTransferKey),
            OperationsPerSecond = trafficSeconds > 0 ? (counters[Counter.OperationsIssued] + counters[Counter.TransfersIssued]) / trafficSeconds : 0,
            MaxAttemptsForOneOperation = Math.Max(answers.Count == 0 ? 0 : answers.Max(answer => answer.Attempts), transferAnswers.Count == 0 ? 0 : transferAnswers.Max(answer => answer.Attempts)),
            ThroughputIntervalSeconds = throughput.Interval.TotalSeconds,
            CompletedPerInterval = throughput.Counts,
            LongestStallSeconds = stall.TotalSeconds,
            LongestStallFromSeconds = stallFrom.TotalSeconds,
            Violations = journal.Violations.Select(violation => violation.ToString()).ToList(),
            SetupErrors = journal.SetupErrors.ToList(),
        };
    }
}
