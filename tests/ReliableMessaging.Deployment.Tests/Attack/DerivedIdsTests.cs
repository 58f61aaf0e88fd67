using ReliableMessaging.Atm.Attack;
using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Deployment.Tests.Attack;

/// <summary>The chaos run's attacker derives a transfer's record IDs exactly as the accounts do, so its collisions are real ones.</summary>
public sealed class DerivedIdsTests
{
    [Fact]
    public void Derive_EveryPurposeOfATransfer_TheIdsTheAccountsDerive()
    {
        Assert.Equal([TransferRecordIds.CreditPurpose, TransferRecordIds.RefundPurpose, TransferRecordIds.FinishedPurpose], DerivedIds.TransferPurposes);
        for (var i = 0; i < 100; i++)
        {
            var transferId = Guid.CreateVersion7(DateTimeOffset.UtcNow.AddMinutes(i - 50));
            // The IDs the server's own code gives a transfer's credit, refund and end, each the way the server reaches it.
            Guid[] recorded = [TransferDelivery.CreditId(transferId), TransferRecordIds.Refund(transferId), AccountRules.FinishedEventId(transferId)];
            Guid[] forged = [.. DerivedIds.TransferPurposes.Select(purpose => DerivedIds.Derive(transferId, purpose))];
            Assert.Equal(recorded, forged);
            Assert.All(forged, id => Assert.True(Uuid7.IsDerived(id)));
            Assert.All(forged, id => Assert.Equal(Uuid7.GetUnixTimeMilliseconds(transferId), Uuid7.GetUnixTimeMilliseconds(id)));
            Assert.Equal(3, forged.Distinct().Count());
        }
    }
}
