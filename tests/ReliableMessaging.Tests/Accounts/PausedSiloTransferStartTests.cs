using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Accounts;

/// <summary>
/// "Not accepted" (404 <c>transfer-not-found</c>) is final. A start sent to a silo that was then
/// paused (SIGSTOP, a VM freeze) and declared dead can still run there when it wakes: Orleans restarts
/// a message's time-to-live when it reads it. Modelled here, as in <see cref="TwoActivationRaceTests"/>,
/// by a second cluster on the same ServiceId whose activation of the source loaded the row earlier.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PausedSiloTransferStartTests(ClusterFixture fixture)
{
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task GetStatus_NotAcceptedAnswered_AStartHeldByAnOlderActivationCannotCommitAfterwards()
    {
        var serviceId = $"fence-{Guid.NewGuid():N}";
        var current = await AccountCluster.StartAsync(
            fixture.Postgres, serviceId, silos: 1,
            properties: new Dictionary<string, string>
            {
                [TestSiloConfigurator.ResponseTimeoutKey] = ResponseTimeout.ToString(),
                // The silo clocks' allowance, added to the window in which a start may still arrive.
                ["Accounts:MaxClockSkew"] = ClockSkew.ToString(),
            });
        var paused = await AccountCluster.StartAsync(fixture.Postgres, serviceId, silos: 1);
        try
        {
            var (from, to, transferId) = (TestIds.NewId("payer"), TestIds.NewId("payee"), TestIds.NewOperationId());
            var transfer = current.Client.GetGrain<ITransferGrain>(transferId);
            var payer = current.Client.GetGrain<IAccountGrain>(from);
            var payee = current.Client.GetGrain<IAccountGrain>(to);
            await payee.Open();

            // Received, never debited: the payer's account did not exist yet.
            Assert.Equal(OperationStatus.AccountNotFound, (await transfer.Start(from, to, 100)).Status);
            await payer.Open();
            await payer.Deposit(TestIds.NewOperationId(), 1000);

            // The paused silo's activation of the payer holds the row as it is now.
            var stale = paused.Client.GetGrain<IAccountGrain>(from);
            Assert.Equal(1000, (await stale.GetSnapshot()).Balance);

            // Once no start can be in transit any more (two response timeouts and the clocks' skew), "not accepted".
            var notAccepted = await Eventually.ReachedAsync(
                () => transfer.GetStatus(), lookup => lookup.Status != TransferLookupStatus.Unconfirmed,
                TimeSpan.FromSeconds(30), lookup => lookup.Status.ToString());
            Assert.Equal(TransferLookupStatus.Unknown, notAccepted.Status);

            // Fenced once per start: further look-ups (anyone's) make the payer write nothing more.
            var writes = StorageFaults.WriteCount(from);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(TransferLookupStatus.Unknown, (await transfer.GetStatus()).Status);
            }

            Assert.Equal(writes, StorageFaults.WriteCount(from));

            // The silo wakes and runs the start it held: its debit must not commit.
            var late = await Assert.ThrowsAsync<AccountStorageException>(() => stale.StartTransfer(transferId, to, 100));
            Assert.True(late.IsConflict);

            Assert.Equal(TransferLookupStatus.Unknown, (await transfer.GetStatus()).Status);
            Assert.Equal((1000L, 0L), ((await payer.GetSnapshot()).Balance, (await payee.GetSnapshot()).Balance));
        }
        finally
        {
            await paused.StopAllSilosAsync();
            await paused.DisposeAsync();
            await current.StopAllSilosAsync();
            await current.DisposeAsync();
        }
    }

    [Fact]
    public async Task GetStatus_ThroughAnOlderActivationThatSawTheSourceUnopened_NeverNotAccepted_ItsFenceFailsOnTheRow()
    {
        // The older activation loaded the source before it was opened elsewhere, where a start can still
        // debit: its "unknown" must be checked by a write (which fails on the row's ETag), not given as final.
        var serviceId = $"fence-unopened-{Guid.NewGuid():N}";
        var timings = new Dictionary<string, string>
        {
            [TestSiloConfigurator.ResponseTimeoutKey] = ResponseTimeout.ToString(),
            ["Accounts:MaxClockSkew"] = ClockSkew.ToString(),
        };
        var current = await AccountCluster.StartAsync(fixture.Postgres, serviceId, silos: 1, properties: timings);
        var older = await AccountCluster.StartAsync(fixture.Postgres, serviceId, silos: 1, properties: timings);
        try
        {
            var (from, to, transferId) = (TestIds.NewId("payer"), TestIds.NewId("payee"), TestIds.NewOperationId());
            Assert.Equal(AccountStatus.NotFound, (await older.Client.GetGrain<IAccountGrain>(from).GetSnapshot()).Status);

            await current.Client.GetGrain<IAccountGrain>(to).Open();
            Assert.Equal(OperationStatus.AccountNotFound, (await current.Client.GetGrain<ITransferGrain>(transferId).Start(from, to, 100)).Status);
            await current.Client.GetGrain<IAccountGrain>(from).Open();
            await current.Client.GetGrain<IAccountGrain>(from).Deposit(TestIds.NewOperationId(), 1000);

            // Past the window in which a start may still arrive, the older side's look-up fences.
            var lookups = older.Client.GetGrain<ITransferGrain>(transferId);
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
            AccountStorageException? fenceFailed = null;
            while (fenceFailed is null && DateTimeOffset.UtcNow < deadline)
            {
                try
                {
                    var lookup = await lookups.GetStatus();
                    Assert.Equal(TransferLookupStatus.Unconfirmed, lookup.Status);
                    await Task.Delay(500);
                }
                catch (AccountStorageException exception)
                {
                    fenceFailed = exception;
                }
            }

            Assert.NotNull(fenceFailed);
            Assert.True(fenceFailed.IsConflict);
        }
        finally
        {
            await older.StopAllSilosAsync();
            await older.DisposeAsync();
            await current.StopAllSilosAsync();
            await current.DisposeAsync();
        }
    }
}
