using Xunit.Abstractions;

namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>
/// Starts the classes marked <see cref="StartEarlyAttribute"/> first, by rank; the others keep xunit's
/// order. xunit runs two classes at a time here, and by its own order the chaos run (about 5 minutes)
/// started only after the stalled-silo test, so this project took a minute longer than its longest test.
/// The chaos run goes first; beside it the stalled silo (one minute), then the hung database path (two):
/// the hung path's three proxies starting beside the chaos run's starved the start of another project's
/// test cluster once, on two cores.
/// </summary>
public sealed class StartEarlyCollectionOrderer : ITestCollectionOrderer
{
    // xunit names a class's own collection after the class.
    private const string ClassCollectionPrefix = "Test collection for ";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(Rank);

    private static int Rank(ITestCollection collection)
    {
        if (!collection.DisplayName.StartsWith(ClassCollectionPrefix, StringComparison.Ordinal))
        {
            return int.MaxValue;
        }

        var type = collection.TestAssembly.Assembly.GetType(collection.DisplayName[ClassCollectionPrefix.Length..]);
        var attribute = type?.GetCustomAttributes(typeof(StartEarlyAttribute).AssemblyQualifiedName).FirstOrDefault();
        return attribute?.GetConstructorArguments().FirstOrDefault() is int rank ? rank : int.MaxValue;
    }
}
