using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using ReliableMessaging.Silo.Health;
using ReliableMessaging.Silo.Hosting;
using ReliableMessaging.Tooling;

namespace ReliableMessaging.Tests.Health;

/// <summary>The monitor that watches a silo's own way to the database, when a round of it fails unforeseen.</summary>
public sealed class DatabasePathMonitorTests
{
    [Fact]
    public async Task RoundThrowsUnexpectedly_MonitorGoesOnProbing_NeverEndsTheSilo()
    {
        // An exception that escaped the monitor's loop ended it, and .NET's default then stops the host:
        // every silo with the same fault would have stopped at once. Here membership throws every round.
        var options = new DatabasePathOptions
        {
            ProbeInterval = TimeSpan.FromMilliseconds(100),
            ProbeTimeout = TimeSpan.FromMilliseconds(500),
            StepOutAfter = TimeSpan.FromSeconds(10),
        };
        var nothingListens = $"Host=127.0.0.1;Port={FreePorts.One()};Username=postgres;Database=none";
        await using var probe = new DatabasePathProbe(
            NpgsqlDataSource.Create(ProviderConnectionString.ForProbe(nothingListens, options.ProbeTimeout)),
            Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<DatabasePathProbe>.Instance);
        var membership = ThrowingMembership.Create(out var asked);
        using var monitor = new DatabasePathMonitor(probe, Microsoft.Extensions.Options.Options.Create(options), membership,
            null!, null!, TimeProvider.System, NullLogger<DatabasePathMonitor>.Instance);

        await monitor.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (asked.Count < 3 && DateTime.UtcNow < deadline && !monitor.ExecuteTask!.IsCompleted)
        {
            await Task.Delay(50);
        }

        Assert.False(monitor.ExecuteTask!.IsCompleted, $"the monitor ended: {monitor.ExecuteTask.Exception}");
        Assert.True(asked.Count >= 3, $"membership asked {asked.Count} time(s)");
        Assert.NotNull(probe.Current().FailingFor);
        await monitor.StopAsync(CancellationToken.None);
    }

    /// <summary>Membership whose snapshot throws (a bug somewhere below the monitor), counting the asks.</summary>
    public class ThrowingMembership : DispatchProxy
    {
        private List<DateTime> _asked = [];

        public static IClusterMembershipService Create(out List<DateTime> asked)
        {
            var membership = Create<IClusterMembershipService, ThrowingMembership>();
            asked = ((ThrowingMembership)(object)membership)._asked;
            return membership;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            lock (_asked)
            {
                _asked.Add(DateTime.UtcNow);
            }

            throw new InvalidOperationException($"{targetMethod?.Name} failed unforeseen.");
        }
    }
}
