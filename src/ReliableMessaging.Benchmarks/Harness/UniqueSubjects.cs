using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Benchmarks;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>What the unique scenario's rounds drive: the accounts, the same on a silo with telemetry off, and the peer.</summary>
public sealed record UniqueSubjects(IAccountGrain[] Accounts, IAccountGrain[]? QuietAccounts, IPlainAccountGrain[]? PlainAccounts);
