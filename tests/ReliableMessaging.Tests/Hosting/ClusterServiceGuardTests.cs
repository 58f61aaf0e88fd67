using Npgsql;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Silo.Cluster;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Hosting;

/// <summary>
/// A cluster belongs to one service. A silo with the cluster's ClusterId and another ServiceId would
/// join it and keep its own rows of the same accounts (grain state is keyed by ServiceId): an operation
/// recorded in the cluster's rows could then execute again through the other copy.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterServiceGuardTests(ClusterFixture fixture)
{
    private Task<long> MembershipRowsAsync() =>
        fixture.Postgres.QueryScalarAsync<long>(
            "SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = @cluster", ("cluster", fixture.Cluster.Options.ClusterId));

    [Fact]
    public async Task Claim_FirstServiceHoldsTheCluster_LaterOnesReadIt_ConcurrentClaimsAgreeOnOne()
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        var cluster = $"claim-{Guid.NewGuid():N}";

        Assert.Equal("blue", await ClusterServiceClaim.ClaimAsync(dataSource, cluster, "blue", CancellationToken.None));
        Assert.Equal("blue", await ClusterServiceClaim.ClaimAsync(dataSource, cluster, "blue", CancellationToken.None));
        Assert.Equal("blue", await ClusterServiceClaim.ClaimAsync(dataSource, cluster, "green", CancellationToken.None));

        // Many silos of different services starting at once on a new cluster: one claim, read by all.
        var fresh = $"claim-{Guid.NewGuid():N}";
        var owners = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => ClusterServiceClaim.ClaimAsync(dataSource, fresh, $"service-{i}", CancellationToken.None)));
        Assert.Single(owners.Distinct());
        Assert.Equal(1L, await fixture.Postgres.QueryScalarAsync<long>("SELECT count(*) FROM rm_cluster_service WHERE cluster_id = @cluster", ("cluster", fresh)));
    }

    [Fact]
    public async Task Silo_WithTheClustersIdAndAnotherServiceId_RefusedBeforeItJoins_TheClusterServesOn()
    {
        var rowsBefore = await MembershipRowsAsync();

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => AccountCluster.StartAsync(
            fixture.Postgres, $"other-{Guid.NewGuid():N}", silos: 1, startClient: false, clusterId: fixture.Cluster.Options.ClusterId));

        var settings = Assert.IsType<SettingsException>(Unwrap(refused), exactMatch: true);
        Assert.Contains($"belongs to Orleans:ServiceId '{fixture.ServiceId}'", settings.Message, StringComparison.Ordinal);
        Assert.Equal(StartupFailure.SettingsExitCode, StartupFailure.Describe(refused)?.ExitCode);
        Assert.Equal(rowsBefore, await MembershipRowsAsync());

        var (_, account) = await TestAccounts.OpenFundedAsync(fixture.Grains, 100);
        Assert.Equal(100, (await fixture.Grains.GetGrain<IAccountGrain>(account).GetSnapshot()).Balance);
    }

    /// <summary>The silo's start failure, as the test host hands it on (it may wrap it).</summary>
    private static Exception Unwrap(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SettingsException)
            {
                return current;
            }
        }

        return exception;
    }
}
