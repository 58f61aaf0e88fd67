namespace ReliableMessaging.Testing;

/// <summary>Locates the repository root (where ReliableMessaging.sln is) from the test binaries.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string SiloConfig => Path.Combine(Root, "silo-config");

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
