namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>
/// The already built silo, front end and ATM simulator: the tests run them as processes and build
/// nothing (scripts/test.sh builds the solution first). Prefers the configuration these tests were
/// built in, and falls back to the other one when only that exists.
/// </summary>
public static class BuiltOutputs
{
    private static readonly string[] Projects = ["ReliableMessaging.Silo", "ReliableMessaging.Api", "ReliableMessaging.Atm"];

    public static string Configuration { get; } = Find();

    public static string Dll(string project) =>
        RepositoryPaths.Combine("src", project, "bin", Configuration, "net10.0", project + ".dll");

    private static string Find()
    {
        var own = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        foreach (var configuration in new[] { own, own == "Release" ? "Debug" : "Release" })
        {
            if (Projects.All(project => File.Exists(RepositoryPaths.Combine("src", project, "bin", configuration, "net10.0", project + ".dll"))))
            {
                return configuration;
            }
        }

        throw new InvalidOperationException(
            $"The silo, the front end and the ATM simulator are not built (looked in src/*/bin/{{Release,Debug}}/net10.0): run 'dotnet build ReliableMessaging.sln -c Release' first.");
    }
}
