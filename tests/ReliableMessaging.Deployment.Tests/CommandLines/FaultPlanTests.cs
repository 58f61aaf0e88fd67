using ReliableMessaging.Atm.Faults;

namespace ReliableMessaging.Deployment.Tests.CommandLines;

/// <summary>The simulator's fault schedule: pauses and database path hangs beside the kills, restarts and connection kills.</summary>
public sealed class FaultPlanTests
{
    [Fact]
    public void Schedule_PauseEvery_PausesAtEveryPeriodBeforeTheLastTenthAndShiftedOffKills()
    {
        var plan = new FaultPlan(TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(3), 0, TimeSpan.FromSeconds(3), TimeSpan.Zero,
            PauseEvery: TimeSpan.FromSeconds(20), PauseFor: TimeSpan.FromSeconds(30));

        var pauses = plan.Schedule().Where(fault => fault.Kind == FaultKind.SiloPause).Select(fault => fault.At.TotalSeconds);

        // 20 and 60; 40 and 80 fall on kills and move a quarter of the kill period later (90 s is past the last tenth).
        Assert.Equal([20, 50, 60], pauses);
    }

    [Fact]
    public void Schedule_MaxPauses_LimitsThePausesAndLeavesTheOtherFaults()
    {
        var plan = new FaultPlan(TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(3), 1, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(20),
            PauseEvery: TimeSpan.FromSeconds(5), PauseFor: TimeSpan.FromSeconds(12), MaxPauses: 1);

        var schedule = plan.Schedule();

        Assert.Equal((TimeSpan.FromSeconds(5), FaultKind.SiloPause), schedule[0]);
        Assert.Single(schedule, fault => fault.Kind == FaultKind.SiloPause);
        Assert.Single(schedule, fault => fault.Kind == FaultKind.SiloKill);
        Assert.Single(schedule, fault => fault.Kind == FaultKind.PostgresRestart);
        Assert.Equal(2, schedule.Count(fault => fault.Kind == FaultKind.StorageFault));
    }

    [Fact]
    public void Schedule_HangDatabasePathEvery_HangsAtEveryPeriodUpToTheMaximum_ShiftedOffKillsAndPauses()
    {
        var plan = new FaultPlan(TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(3), 0, TimeSpan.FromSeconds(3), TimeSpan.Zero,
            PauseEvery: TimeSpan.FromSeconds(30), PauseFor: TimeSpan.FromSeconds(12), MaxPauses: 1,
            HangDatabasePathEvery: TimeSpan.FromSeconds(10), StepOutWait: TimeSpan.FromSeconds(60), MaxDatabasePathHangs: 4);

        var hangs = plan.Schedule().Where(fault => fault.Kind == FaultKind.DatabasePathHang).Select(fault => fault.At.TotalSeconds);

        // 10 and 20; 30 falls on the pause (+2.5), 40 on a kill (+2.5); then the maximum is reached.
        Assert.Equal([10, 20, 32.5, 42.5], hangs);
    }

    [Fact]
    public void Schedule_NoHangDatabasePathEvery_NoHangs()
    {
        var plan = new FaultPlan(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(3), 1, TimeSpan.FromSeconds(3), TimeSpan.Zero,
            PauseEvery: TimeSpan.FromSeconds(10), MaxDatabasePathHangs: 3);

        Assert.DoesNotContain(plan.Schedule(), fault => fault.Kind == FaultKind.DatabasePathHang);
    }

    [Fact]
    public void Schedule_NoPauseEvery_NoPauses()
    {
        var plan = new FaultPlan(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(3), 1, TimeSpan.FromSeconds(3), TimeSpan.Zero);

        Assert.DoesNotContain(plan.Schedule(), fault => fault.Kind == FaultKind.SiloPause);
    }
}
