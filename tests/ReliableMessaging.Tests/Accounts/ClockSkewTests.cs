using System.Globalization;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using Orleans.TestingHost;
using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Accounts;

/// <summary>
/// Silos whose clocks disagree (<c>Faults:ClockOffset</c>): the accounts of a silo live by its shifted
/// clock, and a transfer from a silo ahead to one behind is credited once the destination's clock
/// catches up, never refunded.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClockSkewTests(ClusterFixture fixture)
{
    /// <summary>How far the second silo's clock runs ahead of the first's (and of this test's).</summary>
    private static readonly TimeSpan Ahead = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How far beyond the zero-offset silo's skew limit the test's IDs are stamped: within the ahead silo's
    /// by as much again, and refused by the other silo for that long (room for a slow machine either way).
    /// </summary>
    private static readonly TimeSpan BeyondSkew = TimeSpan.FromSeconds(5);

    [Fact]
    public Task SiloClockAhead_ItsAccountsAdmitIdsThatFarAhead_ACreditFromItIsRetriedUntilTheDestinationCatchesUp_NotRefunded() =>
        WithSiloAheadAsync("clock-skew", settings: null, async (grains, ahead, behind) =>
        {
            // What each silo's grains take for "now": an ID that far ahead is within the skew on the silo
            // whose clock is ahead, and from the future on the other.
            var farAhead = TestIds.OperationIdAt(DateTimeOffset.UtcNow + AccountCluster.MaxClockSkew + BeyondSkew);
            Assert.Equal(OperationStatus.OperationIdFromFuture, (await grains.GetGrain<IAccountGrain>(behind).Deposit(farAhead, 1)).Status);
            Assert.Equal(OperationStatus.Succeeded, (await grains.GetGrain<IAccountGrain>(ahead).Deposit(farAhead, 1000)).Status);

            // A transfer under such an ID: the source (ahead) debits it; the destination refuses the
            // credit as from the future until its clock has caught up, and the source retries it.
            var (transferId, admissibleAtDestination) = await StartTransferFromTheFutureAsync(grains, ahead, behind);

            var finished = await WaitFinishedAsync(grains, transferId, TimeSpan.FromSeconds(60));
            Assert.Equal(TransferState.Completed, finished.State);

            var statement = await grains.GetGrain<IAccountGrain>(behind).GetStatement(0, 100);
            var credit = Assert.Single(statement.Entries, entry => entry.Kind == OperationKind.TransferIn);
            Assert.Equal((400L, OperationStatus.Succeeded), (credit.Amount, credit.Status));
            Assert.True(credit.RecordedAt >= admissibleAtDestination,
                $"the credit was recorded at {credit.RecordedAt:O}, before the destination's clock admitted its ID ({admissibleAtDestination:O})");
            var source = await grains.GetGrain<IAccountGrain>(ahead).GetStatement(0, 100);
            Assert.DoesNotContain(source.Entries, entry => entry.Kind == OperationKind.TransferRefund);
            Assert.Equal((600L, 400L), (source.Balance, statement.Balance));
        });

    [Fact]
    public Task SiloClockAhead_SourceBusyWhileItsCreditIsFromTheFuture_CreditedWithinSecondsOfBecomingAdmissible() =>
        // The chaos run's case on the real path: the source keeps delivering other transfers while the
        // credit is refused, and its retry period is the default minute. The delivery backoff is the
        // transfer's own (as long as it has been pending, at most 1 s after a refusal from the future),
        // so the other transfers' passes do not push the next try towards that minute.
        WithSiloAheadAsync("clock-skew-busy", new() { ["Accounts:TransferRetryPeriod"] = "00:01:00" }, async (grains, ahead, behind) =>
        {
            var other = TestIds.NewId("skew-other");
            await grains.GetGrain<IAccountGrain>(other).Open();
            Assert.Equal(OperationStatus.Succeeded, (await grains.GetGrain<IAccountGrain>(ahead).Deposit(TestIds.NewOperationId(), 10_000)).Status);

            var (transferId, admissibleAtDestination) = await StartTransferFromTheFutureAsync(grains, ahead, behind);

            // Traffic while the credit is refused: each transfer is delivered in its own pass, which sends
            // the refused credit again (and, before the fix, doubled the account's one backoff each time).
            var busy = 0;
            while (busy < 10 && DateTimeOffset.UtcNow < admissibleAtDestination - TimeSpan.FromSeconds(1))
            {
                var id = TestIds.NewOperationId();
                Assert.Equal(OperationStatus.Succeeded, (await grains.GetGrain<ITransferGrain>(id).Start(ahead, other, 10)).Status);
                Assert.Equal(TransferState.Completed, (await WaitFinishedAsync(grains, id, TimeSpan.FromSeconds(30))).State);
                busy++;
            }

            Assert.True(busy > 0, "the machine was too slow to deliver a transfer while the credit was refused");
            Assert.Equal(TransferState.Completed, (await WaitFinishedAsync(grains, transferId, TimeSpan.FromSeconds(90))).State);

            var credit = Assert.Single((await grains.GetGrain<IAccountGrain>(behind).GetStatement(0, 100)).Entries, entry => entry.Kind == OperationKind.TransferIn);
            Assert.True(credit.RecordedAt >= admissibleAtDestination, $"credited at {credit.RecordedAt:O}, before its ID was admissible ({admissibleAtDestination:O})");
            Assert.True(credit.RecordedAt <= admissibleAtDestination + TimeSpan.FromSeconds(5),
                $"credited at {credit.RecordedAt:O}, {(credit.RecordedAt - admissibleAtDestination).TotalSeconds:0.0} s after its ID became admissible ({admissibleAtDestination:O}), after {busy} other transfers");
        });

    /// <summary>
    /// Runs <paramref name="body"/> on a cluster of a silo on time and a silo <see cref="Ahead"/> (with
    /// <paramref name="settings"/>), with an account opened on each: (ahead, on time). Stops both after.
    /// </summary>
    private async Task WithSiloAheadAsync(
        string name, Dictionary<string, string?>? settings, Func<IClusterClient, string, string, Task> body)
    {
        var cluster = await AccountCluster.StartAsync(fixture.Postgres, $"{name}-{Guid.NewGuid():N}", silos: 1);
        SiloHandle? aheadSilo = null;
        try
        {
            aheadSilo = await StartSiloAsync(cluster, Ahead, settings);
            var onTime = cluster.Silos.Single();
            var grains = cluster.Client;
            var (ahead, behind) = (await OpenAccountOnAsync(grains, aheadSilo), await OpenAccountOnAsync(grains, onTime));
            await body(grains, ahead, behind);
        }
        finally
        {
            if (aheadSilo is not null)
            {
                await aheadSilo.StopSiloAsync(stopGracefully: true);
                await aheadSilo.DisposeAsync();
            }

            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    /// <summary>
    /// Starts a transfer of 400 under an ID stamped beyond the on-time silo's skew limit (the ahead
    /// source debits it at once); returns it and when the destination's clock admits its credit.
    /// </summary>
    private static async Task<(Guid TransferId, DateTimeOffset AdmissibleAtDestination)> StartTransferFromTheFutureAsync(
        IClusterClient grains, string ahead, string behind)
    {
        var transferId = TestIds.OperationIdAt(DateTimeOffset.UtcNow + AccountCluster.MaxClockSkew + BeyondSkew);
        var started = await grains.GetGrain<ITransferGrain>(transferId).Start(ahead, behind, 400);
        Assert.Equal((OperationStatus.Succeeded, TransferState.Pending), (started.Status, started.State));
        return (transferId, Uuid7.GetTimestamp(transferId) - AccountCluster.MaxClockSkew);
    }

    [Fact]
    public async Task ClockOffsetNotShorterThanMaxClockSkew_SiloRefusesToStart()
    {
        var cluster = await AccountCluster.StartAsync(fixture.Postgres, $"clock-skew-refused-{Guid.NewGuid():N}", silos: 1);
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => StartSiloAsync(cluster, -AccountCluster.MaxClockSkew));
            var validation = FindValidationError(error);
            Assert.True(validation is not null, $"expected an options validation error, got: {error}");
            Assert.Contains("Faults:ClockOffset", validation!.Message, StringComparison.Ordinal);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    /// <summary>Starts one more silo in <paramref name="cluster"/> whose clock is shifted by <paramref name="offset"/> (and with <paramref name="settings"/>).</summary>
    private static Task<SiloHandle> StartSiloAsync(TestCluster cluster, TimeSpan offset, Dictionary<string, string?>? settings = null)
    {
        var data = new Dictionary<string, string?>(settings ?? []) { ["Faults:ClockOffset"] = offset.ToString("c", CultureInfo.InvariantCulture) };
        var overrides = new MemoryConfigurationSource { InitialData = data };
        return cluster.StartSiloAsync(cluster.Silos.Max(silo => silo.InstanceNumber) + 1, cluster.Options, [overrides]);
    }

    /// <summary>
    /// Opens fresh accounts until one is activated on <paramref name="silo"/> (placement picks the silo).
    /// A silo that has just started is picked only once the others count it as active, which nothing
    /// signals: between rounds of tries, the membership view gets a moment to catch up (30 s at most).
    /// </summary>
    private static async Task<string> OpenAccountOnAsync(IGrainFactory grains, SiloHandle silo)
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        for (var attempt = 1; DateTime.UtcNow < deadline; attempt++)
        {
            var accountId = TestIds.NewId("skew");
            var account = grains.GetGrain<IAccountGrain>(accountId);
            await account.Open();
            if (silo.SiloAddress.Equals(await management.GetActivationAddress(account)))
            {
                return accountId;
            }

            if (attempt % 50 == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }

        throw new InvalidOperationException($"no account was placed on {silo.SiloAddress} within 30 s");
    }

    private static async Task<TransferResult> WaitFinishedAsync(IGrainFactory grains, Guid transferId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = await grains.GetGrain<ITransferGrain>(transferId).GetStatus();
            if (status.Transfer is { State: not TransferState.Pending } finished)
            {
                return finished;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Transfer {transferId} still {status.Transfer?.State.ToString() ?? status.Status.ToString()} after {timeout}.");
            await Task.Delay(100);
        }
    }

    private static OptionsValidationException? FindValidationError(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is OptionsValidationException validation)
            {
                return validation;
            }

            if (error is AggregateException aggregate && aggregate.InnerExceptions.Select(FindValidationError).FirstOrDefault(found => found is not null) is { } inner)
            {
                return inner;
            }
        }

        return null;
    }
}
