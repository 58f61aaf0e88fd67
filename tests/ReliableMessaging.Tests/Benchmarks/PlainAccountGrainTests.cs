using ReliableMessaging.Contracts.Benchmarks;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Benchmarks;

/// <summary>
/// The benchmark's peer does what a sample grain does, including what the product exists to prevent:
/// a retried withdrawal runs again. The benchmark's comparison is only fair if that stays true.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PlainAccountGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Withdraw_SentTwice_DebitsTwice_NoOperationIdsAtAll()
    {
        var account = fixture.Grains.GetGrain<IPlainAccountGrain>($"plain-{Guid.NewGuid():N}");
        Assert.Equal(100, await account.Deposit(100));

        Assert.True(await account.Withdraw(30));
        Assert.True(await account.Withdraw(30));
        Assert.False(await account.Withdraw(50));

        Assert.Equal(50, await account.Deposit(10));
    }
}
