using System.Globalization;

namespace ReliableMessaging.FaultProxy;

/// <summary>The proxy's command line: <c>--target-port PORT --control-file PATH --state-file PATH [--listen-port PORT]</c>.</summary>
/// <param name="TargetPort">The server's port on 127.0.0.1.</param>
/// <param name="ControlFile">Where it reads the mode asked for: <c>hung</c> or <c>forwarding</c> (absent: forwarding).</param>
/// <param name="StateFile">Where the proxy writes its port and mode after every change.</param>
/// <param name="ListenPort">The port to listen on; 0 for any free one (the state file names it).</param>
public sealed record FaultProxyOptions(int TargetPort, string ControlFile, string StateFile, int ListenPort)
{
    public const string Usage = "usage: ReliableMessaging.FaultProxy --target-port PORT --control-file PATH --state-file PATH [--listen-port PORT]";

    /// <summary>The options, or null and a one-line <paramref name="error"/>.</summary>
    public static FaultProxyOptions? Parse(IReadOnlyList<string> args, out string error)
    {
        ArgumentNullException.ThrowIfNull(args);
        int? target = null;
        string? stateFile = null;
        string? controlFile = null;
        var listen = 0;
        for (var i = 0; i < args.Count; i += 2)
        {
            if (i + 1 >= args.Count)
            {
                error = $"{args[i]} needs a value; {Usage}";
                return null;
            }

            var value = args[i + 1];
            switch (args[i])
            {
                case "--target-port" when TryPort(value, allowZero: false, out var port):
                    target = port;
                    break;
                case "--listen-port" when TryPort(value, allowZero: true, out var port):
                    listen = port;
                    break;
                case "--state-file" when value.Length > 0:
                    stateFile = value;
                    break;
                case "--control-file" when value.Length > 0:
                    controlFile = value;
                    break;
                case "--target-port" or "--listen-port" or "--state-file" or "--control-file":
                    error = $"{args[i]}: '{value}' is not valid; {Usage}";
                    return null;
                default:
                    error = $"unknown option {args[i]}; {Usage}";
                    return null;
            }
        }

        if (target is null || stateFile is null || controlFile is null)
        {
            error = Usage;
            return null;
        }

        error = "";
        return new FaultProxyOptions(target.Value, controlFile, stateFile, listen);
    }

    private static bool TryPort(string value, bool allowZero, out int port) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535 && (allowZero || port > 0);
}
