namespace ReliableMessaging.Atm.Faults;

/// <summary>When faults happen during a run of <see cref="Duration"/>.</summary>
/// <param name="Duration">How long the ATMs issue new operations.</param>
/// <param name="KillEvery">Silo kill period; zero for none.</param>
/// <param name="RestartAfter">How long a killed silo stays down.</param>
/// <param name="PostgresRestarts">PostgreSQL restarts spread over the run.</param>
/// <param name="PostgresDown">How long PostgreSQL stays down each time.</param>
/// <param name="StorageFaultsEvery">Connection-kill period; zero for none.</param>
/// <param name="PauseEvery">Silo pause (SIGSTOP) period; zero for none.</param>
/// <param name="PauseFor">How long a paused silo stays stopped before SIGCONT.</param>
/// <param name="MaxPauses">At most this many pauses; zero for no limit.</param>
/// <param name="HangDatabasePathEvery">Database path hang period; zero for none.</param>
/// <param name="StepOutWait">How long a silo whose path hangs is given to step out before the path heals.</param>
/// <param name="MaxDatabasePathHangs">At most this many hangs; zero for no limit.</param>
public sealed record FaultPlan(
    TimeSpan Duration, TimeSpan KillEvery, TimeSpan RestartAfter, int PostgresRestarts, TimeSpan PostgresDown, TimeSpan StorageFaultsEvery,
    TimeSpan PauseEvery = default, TimeSpan PauseFor = default, int MaxPauses = 0,
    TimeSpan HangDatabasePathEvery = default, TimeSpan StepOutWait = default, int MaxDatabasePathHangs = 0)
{
    /// <summary>
    /// Silo kills at every multiple of the period; PostgreSQL restarts evenly spread, half a period
    /// away from the kills; connection kills at their own period; pauses and database path hangs at
    /// every multiple of theirs (a pause a quarter of a kill period after a kill that falls at the same
    /// time; a hang a quarter of its own period after a kill or pause scheduled at the same time).
    /// Nothing is scheduled in the last tenth of the run, so the last fault has healed before the ATMs
    /// stop (a database path hang may outlast that: it lasts until its silo steps out, at most the step-out
    /// wait). Faults run one at a time: one that comes due while another is still in progress waits for it.
    /// </summary>
    public List<(TimeSpan At, FaultKind Kind)> Schedule()
    {
        var end = Duration * 0.9;
        var schedule = new List<(TimeSpan At, FaultKind Kind)>();
        if (KillEvery > TimeSpan.Zero)
        {
            for (var at = KillEvery; at < end; at += KillEvery)
            {
                schedule.Add((at, FaultKind.SiloKill));
            }
        }

        for (var i = 1; i <= PostgresRestarts; i++)
        {
            var at = Duration * i / (PostgresRestarts + 1);
            if (KillEvery > TimeSpan.Zero)
            {
                // Midway between two kills, so the database restart does not overlap a silo restart.
                at = KillEvery * (Math.Floor(at / KillEvery) + 0.5);
            }

            schedule.Add((at < end ? at : end, FaultKind.PostgresRestart));
        }

        if (StorageFaultsEvery > TimeSpan.Zero)
        {
            for (var at = StorageFaultsEvery * 0.75; at < end; at += StorageFaultsEvery)
            {
                schedule.Add((at, FaultKind.StorageFault));
            }
        }

        if (PauseEvery > TimeSpan.Zero)
        {
            var pauses = 0;
            for (var at = PauseEvery; at < end && (MaxPauses == 0 || pauses < MaxPauses); at += PauseEvery)
            {
                var shifted = KillEvery > TimeSpan.Zero && at.Ticks % KillEvery.Ticks == 0 ? at + (KillEvery / 4) : at;
                if (shifted < end)
                {
                    schedule.Add((shifted, FaultKind.SiloPause));
                    pauses++;
                }
            }
        }

        if (HangDatabasePathEvery > TimeSpan.Zero)
        {
            var hangs = 0;
            for (var at = HangDatabasePathEvery; at < end && (MaxDatabasePathHangs == 0 || hangs < MaxDatabasePathHangs); at += HangDatabasePathEvery)
            {
                var shifted = at;
                while (schedule.Exists(fault => fault.At == shifted))
                {
                    shifted += HangDatabasePathEvery / 4;
                }

                if (shifted < end)
                {
                    schedule.Add((shifted, FaultKind.DatabasePathHang));
                    hangs++;
                }
            }
        }

        schedule.Sort((left, right) => left.At.CompareTo(right.At));
        return schedule;
    }
}
