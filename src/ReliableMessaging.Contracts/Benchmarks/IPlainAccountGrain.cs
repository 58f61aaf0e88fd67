namespace ReliableMessaging.Contracts.Benchmarks;

/// <summary>
/// The benchmark's peer, NOT a product API: the account grain a user would write from the Orleans
/// samples, one state write per call and no operation IDs, so a retry runs twice. The benchmark
/// drives it beside <see cref="Accounts.IAccountGrain"/> to show what exactly-once costs. The front
/// end never calls it.
/// </summary>
[Alias("rm.IPlainAccountGrain")]
public interface IPlainAccountGrain : IGrainWithStringKey
{
    /// <summary>Adds <paramref name="amount"/> and returns the new balance.</summary>
    [Alias("Deposit")]
    Task<long> Deposit(long amount);

    /// <summary>Subtracts <paramref name="amount"/> if the balance covers it; returns whether it did.</summary>
    [Alias("Withdraw")]
    Task<bool> Withdraw(long amount);
}
