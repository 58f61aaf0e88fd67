using ReliableMessaging.Contracts.Benchmarks;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Grains.Benchmarks;

/// <summary>
/// The benchmark's peer (see <see cref="IPlainAccountGrain"/>): a balance in the same storage provider
/// as the accounts, one <c>WriteStateAsync</c> per call, not reentrant, no telemetry of its own.
/// </summary>
public sealed class PlainAccountGrain(
    [PersistentState("plain", AccountStorage.ProviderName)] IPersistentState<PlainAccountState> state) : Grain, IPlainAccountGrain
{
    public async Task<long> Deposit(long amount)
    {
        state.State.Balance = checked(state.State.Balance + amount);
        await state.WriteStateAsync();
        return state.State.Balance;
    }

    public async Task<bool> Withdraw(long amount)
    {
        if (state.State.Balance < amount)
        {
            return false;
        }

        state.State.Balance -= amount;
        await state.WriteStateAsync();
        return true;
    }
}
