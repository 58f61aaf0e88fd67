namespace ReliableMessaging.FaultProxy;

/// <summary>
/// The mode scripts/cluster.sh asks the proxy for, one word in a file: <c>hung</c> or <c>forwarding</c>.
/// A file (polled) rather than a signal: .NET handles a raw signal such as SIGUSR1 once and then
/// restores its default action, which ends the process.
/// </summary>
public static class ProxyControlFile
{
    /// <summary>
    /// True for <c>hung</c>, false for <c>forwarding</c> or no file; null for anything else (ignored).
    /// Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when it cannot be read.
    /// </summary>
    public static bool? ReadHung(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (FileNotFoundException)
        {
            return false;
        }

        return text switch
        {
            "hung" => true,
            "forwarding" => false,
            _ => null,
        };
    }
}
