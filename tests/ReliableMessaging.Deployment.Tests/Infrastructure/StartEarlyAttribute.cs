namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>
/// Marks a test class that <see cref="StartEarlyCollectionOrderer"/> starts before the unmarked ones,
/// lowest <see cref="Rank"/> first.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class StartEarlyAttribute(int rank) : Attribute
{
    public int Rank { get; } = rank;
}
