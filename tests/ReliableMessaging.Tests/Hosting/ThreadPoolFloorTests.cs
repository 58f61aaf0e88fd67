using ReliableMessaging.Silo.Hosting;

namespace ReliableMessaging.Tests.Hosting;

/// <summary>
/// The silo's thread-pool floor: a thread at once for each connection that a hung database path can
/// hold in Npgsql's synchronous cancellation, on top of one per core; never lowered.
/// </summary>
public sealed class ThreadPoolFloorTests
{
    [Fact]
    public void RaiseFor_Connections_MinimumIsOnePerCorePlusThem_NeverLowered()
    {
        var raised = ThreadPoolFloor.RaiseFor(40);

        // (In-process test clusters raise it too, concurrently: hence "at least".)
        ThreadPool.GetMinThreads(out var workers, out _);
        Assert.True(raised >= Environment.ProcessorCount + 40, $"minimum {raised}");
        Assert.True(workers >= raised, $"minimum in force {workers}, raised to {raised}");

        // A smaller need (another silo in the same process) leaves it where it is.
        Assert.True(ThreadPoolFloor.RaiseFor(0) >= workers);
        ThreadPool.GetMinThreads(out var after, out _);
        Assert.True(after >= workers, $"lowered from {workers} to {after}");
    }

    [Fact]
    public void TotalPoolSize_TheConfiguredMaximum_NpgsqlsDefaultWhenNone()
    {
        Assert.Equal(40, ProviderConnectionString.TotalPoolSize("Host=db;Maximum Pool Size=40"));
        Assert.Equal(100, ProviderConnectionString.TotalPoolSize("Host=db"));
    }
}
