using System.Globalization;

namespace ReliableMessaging.FaultProxy;

/// <summary>
/// The proxy's state for scripts/cluster.sh, as <c>port=N</c> and <c>mode=forwarding|hung</c> lines,
/// replaced whole (written beside it, then renamed) so that a reader never sees half of it.
/// </summary>
public static class ProxyStateFile
{
    public static void Write(string path, int port, bool hung)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var partial = path + ".partial";
        File.WriteAllText(partial, string.Create(CultureInfo.InvariantCulture, $"port={port}\nmode={(hung ? "hung" : "forwarding")}\n"));
        File.Move(partial, path, overwrite: true);
    }
}
