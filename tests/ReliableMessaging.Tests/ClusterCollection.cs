using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests;

/// <summary>
/// Every test that runs a cluster or a PostgreSQL belongs here, so they run one at a time:
/// the machine has two cores, and tests that stop PostgreSQL must not overlap others.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
