namespace ReliableMessaging.Tooling;

/// <summary>The repository root (the folder that holds ReliableMessaging.sln) and paths below it.</summary>
public static class RepositoryPaths
{
    private const string Marker = "ReliableMessaging.sln";

    private static readonly Lazy<string> FoundRoot = new(() =>
        TryFind(AppContext.BaseDirectory, Environment.CurrentDirectory)
        ?? throw new InvalidOperationException($"{Marker} not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}."));

    /// <summary>The root above this program's binaries (else above the working directory); throws when there is none.</summary>
    public static string Root => FoundRoot.Value;

    public static string SiloConfig => Combine("silo-config");

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The first root found walking up from each of <paramref name="startDirectories"/> in turn, or null.</summary>
    public static string? TryFind(params string[] startDirectories)
    {
        ArgumentNullException.ThrowIfNull(startDirectories);
        foreach (var start in startDirectories)
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, Marker)))
                {
                    return directory.FullName;
                }
            }
        }

        return null;
    }
}
