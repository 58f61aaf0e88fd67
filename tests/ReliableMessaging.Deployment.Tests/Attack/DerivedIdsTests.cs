using ReliableMessaging.Atm.Attack;
using ReliableMessaging.Contracts;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Deployment.Tests.Attack;

/// <summary>The chaos run's attacker derives a transfer's record IDs exactly as the accounts do, so its collisions are real ones.</summary>
public sealed class DerivedIdsTests
{
    [Fact]
    public void Derive_EveryPurposeOfATransfer_TheIdsTheAccountsDerive()
    {
        Assert.Equal([AccountRules.CreditPurpose, AccountRules.RefundPurpose, AccountRules.FinishedPurpose], DerivedIds.TransferPurposes);
        for (var i = 0; i < 100; i++)
        {
            var transferId = Guid.CreateVersion7(DateTimeOffset.UtcNow.AddMinutes(i - 50));
            foreach (var purpose in DerivedIds.TransferPurposes)
            {
                var derived = DerivedIds.Derive(transferId, purpose);
                Assert.Equal(Uuid7.Derive(transferId, purpose), derived);
                Assert.True(Uuid7.IsDerived(derived));
            }
        }
    }
}
