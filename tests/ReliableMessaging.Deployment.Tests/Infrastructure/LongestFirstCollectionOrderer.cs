using Xunit.Abstractions;

namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>
/// Starts the longest test classes first. xunit runs two of them at a time here, and by its own order
/// the chaos run (about 5 minutes) started only after the stalled-silo test, so this project took a
/// minute longer than its longest test. Every other class keeps xunit's order.
/// </summary>
public sealed class LongestFirstCollectionOrderer : ITestCollectionOrderer
{
    // xunit names a class's own collection after the class.
    private const string ClassCollectionPrefix = "Test collection for ";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderByDescending(ExpectedSeconds);

    private static int ExpectedSeconds(ITestCollection collection)
    {
        if (!collection.DisplayName.StartsWith(ClassCollectionPrefix, StringComparison.Ordinal))
        {
            return 0;
        }

        var type = collection.TestAssembly.Assembly.GetType(collection.DisplayName[ClassCollectionPrefix.Length..]);
        var attribute = type?.GetCustomAttributes(typeof(LongRunningAttribute).AssemblyQualifiedName).FirstOrDefault();
        return attribute?.GetConstructorArguments().FirstOrDefault() is int seconds ? seconds : 0;
    }
}
