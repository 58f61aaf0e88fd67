using Microsoft.Extensions.Time.Testing;
using ReliableMessaging.Silo.Health;

namespace ReliableMessaging.Tests.Health;

/// <summary>The spans a silo reports are what its probes prove, measured on its own clock.</summary>
public sealed class DatabasePathHealthTests
{
    [Fact]
    public void BeforeTheFirstProbe_NeitherHealthyNorFailing()
    {
        var report = new DatabasePathHealth(new FakeTimeProvider()).Report();

        Assert.Equal((true, null, null, null), (report.FromNamedSilo, report.HealthyFor, report.FailingFor, report.SinceLastSuccess));
    }

    [Fact]
    public void UnbrokenSuccesses_HealthyFromTheFirstToTheLatest_NotToNow()
    {
        var time = new FakeTimeProvider();
        var health = new DatabasePathHealth(time);
        health.Succeeded();
        time.Advance(TimeSpan.FromSeconds(5));
        health.Succeeded();
        time.Advance(TimeSpan.FromSeconds(3));

        var report = health.Report();

        Assert.Equal(TimeSpan.FromSeconds(5), report.HealthyFor);
        Assert.Equal(TimeSpan.FromSeconds(3), report.SinceLastSuccess);
        Assert.Null(report.FailingFor);
    }

    [Fact]
    public void AFailure_EndsTheHealthySpan_FailingCountsFromTheFirstFailure()
    {
        var time = new FakeTimeProvider();
        var health = new DatabasePathHealth(time);
        health.Succeeded();
        time.Advance(TimeSpan.FromSeconds(5));
        health.Failed();
        time.Advance(TimeSpan.FromSeconds(5));
        health.Failed();
        time.Advance(TimeSpan.FromSeconds(2));

        var report = health.Report();

        Assert.Null(report.HealthyFor);
        Assert.Equal(TimeSpan.FromSeconds(7), report.FailingFor);
        Assert.Equal(TimeSpan.FromSeconds(12), report.SinceLastSuccess);
    }

    [Fact]
    public void ASuccessAfterFailures_EndsTheFailingSpan_HealthyStartsAfresh()
    {
        var time = new FakeTimeProvider();
        var health = new DatabasePathHealth(time);
        health.Succeeded();
        time.Advance(TimeSpan.FromMinutes(10));
        health.Failed();
        time.Advance(TimeSpan.FromSeconds(30));
        health.Succeeded();

        var report = health.Report();

        Assert.Null(report.FailingFor);
        Assert.Equal(TimeSpan.Zero, report.HealthyFor);
    }
}
