using ReliableMessaging.Contracts.Health;
using ReliableMessaging.Silo.Health;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Tests.Health;

/// <summary>When a silo whose database path fails leaves the cluster: only when the failure is its own.</summary>
public sealed class StepOutRuleTests
{
    private static readonly DatabasePathOptions Options = new()
    {
        ProbeInterval = TimeSpan.FromSeconds(5),
        ProbeTimeout = TimeSpan.FromSeconds(5),
        StepOutAfter = TimeSpan.FromSeconds(30),
    };

    private static DatabasePathReport Failing(double seconds, double? lastSuccessAgo = null) =>
        new(true, null, TimeSpan.FromSeconds(seconds), lastSuccessAgo is { } ago ? TimeSpan.FromSeconds(ago) : null);

    private static DatabasePathReport Healthy(double provenSeconds, double lastSuccessAgo = 1) =>
        new(true, TimeSpan.FromSeconds(provenSeconds), null, TimeSpan.FromSeconds(lastSuccessAgo));

    [Fact]
    public void OwnPathFailedForTheWholeSpan_APeerReachedTheDatabaseThroughout_StepsOut()
    {
        Assert.True(StepOutRule.ShouldStepOut(Failing(31, 40), [Failing(31), Healthy(600)], Options));
    }

    [Fact]
    public void MostPeersFailToo_StaysIn_HalfOrMoreReaching_StepsOut()
    {
        Assert.False(StepOutRule.ShouldStepOut(Failing(60), [Healthy(600), Failing(60), Failing(60)], Options));
        Assert.True(StepOutRule.ShouldStepOut(Failing(60), [Healthy(600), Failing(60)], Options));
        // A peer that did not answer for its own silo is not counted either way.
        Assert.True(StepOutRule.ShouldStepOut(Failing(60), [Healthy(600), DatabasePathReport.NotOnThatSilo], Options));
    }

    [Fact]
    public void AnotherSiloLeftRecently_StaysIn_UntilTheCooldownIsOver()
    {
        // Its accounts' load just moved here: slow probes may be that load; a cascade must not follow.
        var cooldown = StepOutRule.DepartureCooldown(Options);

        Assert.Equal(TimeSpan.FromSeconds(60), cooldown);
        Assert.False(StepOutRule.ShouldStepOut(Failing(60), [Healthy(600)], Options, cooldown - TimeSpan.FromSeconds(1)));
        Assert.True(StepOutRule.ShouldStepOut(Failing(60), [Healthy(600)], Options, cooldown));
    }

    [Fact]
    public void EveryPeerFailsToo_DatabaseDownForEveryone_StaysIn()
    {
        // Leaving would only take capacity away for when the database is back.
        Assert.False(StepOutRule.ShouldStepOut(Failing(300), [Failing(300, 301), Failing(290, 295)], Options));
    }

    [Fact]
    public void NoPeers_ASingleSilo_StaysIn()
    {
        Assert.False(StepOutRule.ShouldStepOut(Failing(300), [], Options));
    }

    [Fact]
    public void OwnPathFailedForLessThanTheSpan_StaysIn()
    {
        Assert.False(StepOutRule.ShouldStepOut(Failing(29), [Healthy(600)], Options));
    }

    [Fact]
    public void PeerWithAFailedProbeWithinTheSpan_IsNoEvidence_StaysIn()
    {
        // It came back 10 s ago: the database may be flapping for everyone, not hung on this path.
        Assert.False(StepOutRule.ShouldStepOut(Failing(60), [Healthy(9, 1)], Options));
        // Its proven span must cover the whole failing span but for the evidence age (30 - 11 s).
        Assert.False(StepOutRule.ShouldStepOut(Failing(60), [Healthy(18.9, 1)], Options));
        Assert.True(StepOutRule.ShouldStepOut(Failing(60), [Healthy(19, 1)], Options));
    }

    [Fact]
    public void PeerWhoseLastSuccessIsOld_IsNoEvidence_StaysIn()
    {
        // Healthy for long, but nothing heard from the database for longer than a probe and its slack.
        Assert.Equal(TimeSpan.FromSeconds(11), Options.PeerEvidenceAge);
        Assert.False(StepOutRule.ShouldStepOut(Failing(60), [Healthy(600, Options.PeerEvidenceAge.TotalSeconds + 1)], Options));
        Assert.True(StepOutRule.ShouldStepOut(Failing(60), [Healthy(600, Options.PeerEvidenceAge.TotalSeconds)], Options));
    }

    [Fact]
    public void ActivationNotOnTheNamedSilo_IsNoEvidence_StaysIn()
    {
        Assert.False(StepOutRule.ShouldStepOut(Failing(60), [DatabasePathReport.NotOnThatSilo with { HealthyFor = TimeSpan.FromHours(1), SinceLastSuccess = TimeSpan.Zero }], Options));
    }

    [Fact]
    public void StepOutAfterUnset_NeverStepsOut()
    {
        var never = new DatabasePathOptions { StepOutAfter = null };

        Assert.False(StepOutRule.ShouldStepOut(Failing(3600), [Healthy(7200)], never));
    }

    [Fact]
    public void OwnPathHealthy_NeverStepsOut_NorAsksItsPeers()
    {
        Assert.False(StepOutRule.ShouldStepOut(Healthy(600), [Healthy(600)], Options));
        Assert.False(StepOutRule.ShouldAskPeers(Healthy(600), Options));
        Assert.False(StepOutRule.ShouldAskPeers(new(true, null, null, null), Options));
    }

    [Fact]
    public void OwnPathFailingForTheSpan_AsksItsPeers_NotBefore()
    {
        Assert.False(StepOutRule.ShouldAskPeers(Failing(29), Options));
        Assert.True(StepOutRule.ShouldAskPeers(Failing(30), Options));
        Assert.False(StepOutRule.ShouldAskPeers(Failing(3600), new DatabasePathOptions { StepOutAfter = null }));
    }

    [Theory]
    [InlineData(0.05, 5, 30)]
    [InlineData(5, 0.05, 30)]
    [InlineData(5, 5, 19)]
    [InlineData(5, 5, 21)]
    // The peers' evidence (1.4 s) would outlast the span: a peer's last success from before this silo's
    // failure began, its probe of the same stall still running, would count as reaching the database.
    [InlineData(0.2, 0.2, 0.8)]
    [InlineData(0.2, 0.2, 2.7)]
    public void Options_ProbingConstantlyOrSteppingOutOnOneFailedProbe_Refused(double interval, double timeout, double stepOutAfter)
    {
        var options = new DatabasePathOptions
        {
            ProbeInterval = TimeSpan.FromSeconds(interval),
            ProbeTimeout = TimeSpan.FromSeconds(timeout),
            StepOutAfter = TimeSpan.FromSeconds(stepOutAfter),
        };

        Assert.Throws<SettingsException>(options.Validate);
    }

    [Fact]
    public void Options_Defaults_Valid()
    {
        new DatabasePathOptions().Validate();
        new DatabasePathOptions { StepOutAfter = null }.Validate();
    }
}
