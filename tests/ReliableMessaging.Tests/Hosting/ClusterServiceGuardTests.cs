using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using ReliableMessaging.Audit;
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

    [Fact]
    public async Task Guard_SchemaWithoutTheClaimsTable_OrARoleWithoutItsGrant_SettingsFailureNamingTheFileToApply()
    {
        var options = Options.Create(new ClusterOptions { ClusterId = $"guard-{Guid.NewGuid():N}", ServiceId = "blue" });

        // A database the schema was never applied to (as after an upgrade that skipped 15-cluster-service.sql).
        var database = $"rm_guard_{Guid.NewGuid():N}"[..24];
        await fixture.Postgres.QueryScalarAsync<object>($"CREATE DATABASE {database}");
        await using (var empty = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString) { Database = database }.ConnectionString))
        {
            var missing = await Assert.ThrowsAsync<SettingsException>(() => new ClusterServiceGuard(empty, options, NullLogger<ClusterServiceGuard>.Instance).CheckAsync(CancellationToken.None));
            Assert.Contains("no table rm_cluster_service", missing.Message, StringComparison.Ordinal);
        }

        // A role that may log in and nothing more (as after 50-roles.sql was not applied again).
        var role = $"rm_noclaim_{Guid.NewGuid():N}"[..24];
        await fixture.Postgres.QueryScalarAsync<object>($"CREATE ROLE {role} LOGIN");
        await using var withoutGrant = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString) { Username = role }.ConnectionString);
        var refused = await Assert.ThrowsAsync<SettingsException>(() => new ClusterServiceGuard(withoutGrant, options, NullLogger<ClusterServiceGuard>.Instance).CheckAsync(CancellationToken.None));
        Assert.Contains("50-roles.sql", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditTool_ReadsWhoseTheClusterIs_WithoutClaimingIt()
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        var unclaimed = $"audit-{Guid.NewGuid():N}";

        Assert.Equal(fixture.ServiceId, await ClusterServiceCheck.FindOwnerAsync(dataSource, fixture.Cluster.Options.ClusterId));
        Assert.Null(await ClusterServiceCheck.FindOwnerAsync(dataSource, unclaimed));
        Assert.Equal(0L, await fixture.Postgres.QueryScalarAsync<long>("SELECT count(*) FROM rm_cluster_service WHERE cluster_id = @cluster", ("cluster", unclaimed)));
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
