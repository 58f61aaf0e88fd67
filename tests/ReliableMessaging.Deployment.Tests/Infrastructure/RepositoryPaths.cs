namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>The repository root (where ReliableMessaging.sln is), found from the test binaries.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string SiloConfig => Path.Combine(Root, "silo-config");

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ReliableMessaging.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ReliableMessaging.sln not found above {AppContext.BaseDirectory}.");
    }
}
