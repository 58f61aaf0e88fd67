using ReliableMessaging.Atm.Attack;
using ReliableMessaging.Atm.Reporting;

namespace ReliableMessaging.Api.Tests.Checking;

/// <summary>The chaos run's verdict: a run that looked at nothing has found no violation, and must not pass.</summary>
public sealed class RunSummaryTests
{
    private static readonly AttackFigures None = new(0, 0, 0, 0);

    /// <summary>A run with every figure at 0 and no violation.</summary>
    private static readonly RunSummary Empty = new()
    {
        Atms = 0,
        Silos = 0,
        DurationSeconds = 0,
        WallClockSeconds = 0,
        AccountsOpened = 0,
        Operations = 0,
        Succeeded = 0,
        InsufficientFunds = 0,
        Expired = 0,
        UnexpectedAnswers = 0,
        Unanswered = 0,
        ResolvedExecuted = 0,
        ResolvedNotExecuted = 0,
        Attempts = 0,
        Retries = 0,
        Replays = 0,
        DuplicatesSent = 0,
        Timeouts = 0,
        ConnectionErrors = 0,
        StorageUnavailable = 0,
        ClusterUnavailable = 0,
        ServerErrors = 0,
        SiloKills = 0,
        SiloRestarts = 0,
        SiloPauses = 0,
        PausedSilosStopped = 0,
        DatabasePathHangs = 0,
        SilosSteppedOut = 0,
        PostgresRestarts = 0,
        StorageFaults = 0,
        FaultErrors = 0,
        TransfersIssued = 0,
        TransfersAnsweredAccepted = 0,
        TransfersInsufficientFunds = 0,
        TransfersUnanswered = 0,
        TransfersResolvedExecuted = 0,
        TransfersResolvedNotExecuted = 0,
        TransfersAccepted = 0,
        TransfersCompleted = 0,
        TransfersRefunded = 0,
        TransfersStuck = 0,
        TransfersPendingAtEnd = 0,
        TransfersInFlightAmount = 0,
        TooManyPendingTransfers = 0,
        AheadTransfers = 0,
        AheadTransfersAccepted = 0,
        AheadTransfersRefused = 0,
        AttackDerivedIds = None,
        AttackTransferIdsAsOperationKeys = None,
        AttackTransferIdsForOtherTransfers = None,
        AttackOperationKeysAsTransferKeys = None,
        OperationsPerSecond = 0,
        MaxAttemptsForOneOperation = 0,
        ThroughputIntervalSeconds = 0,
        CompletedPerInterval = [],
        LongestStallSeconds = 0,
        LongestStallFromSeconds = 0,
        Violations = [],
        SetupErrors = [],
    };

    [Fact]
    public void ExitCode_AcknowledgedOperationsAndLateReplaysCompared_NoViolation_Passes()
    {
        var run = Empty with { Succeeded = 120, InsufficientFunds = 3, LateReplaysCompared = 40 };

        Assert.Null(run.NothingVerified);
        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public void ExitCode_NothingAcknowledged_DoesNotPass()
    {
        var run = Empty with { Unanswered = 500 };

        Assert.Contains("no operation was acknowledged", run.NothingVerified, StringComparison.Ordinal);
        Assert.Equal(3, run.ExitCode);
    }

    [Fact]
    public void ExitCode_AcknowledgedButNoReplayComparedAfterTheRun_DoesNotPass()
    {
        var run = Empty with { Succeeded = 120 };

        Assert.Contains("no replay was compared", run.NothingVerified, StringComparison.Ordinal);
        Assert.Equal(3, run.ExitCode);
    }

    [Fact]
    public void ExitCode_AViolation_IsOneWhateverElse()
    {
        Assert.Equal(1, (Empty with { Violations = ["lost: withdrawal x"] }).ExitCode);
        Assert.Equal(1, (Empty with { Succeeded = 5, LateReplaysCompared = 5, Violations = ["lost: withdrawal x"], SetupErrors = ["late"] }).ExitCode);
    }
}
