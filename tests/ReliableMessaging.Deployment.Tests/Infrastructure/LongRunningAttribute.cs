namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>
/// Marks a test class whose tests take minutes, with about how many seconds it takes here, so that
/// <see cref="LongestFirstCollectionOrderer"/> starts it before the short ones.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class LongRunningAttribute(int seconds) : Attribute
{
    public int Seconds { get; } = seconds;
}
