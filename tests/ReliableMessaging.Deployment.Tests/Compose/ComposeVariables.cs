using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ReliableMessaging.Deployment.Tests.Compose;

/// <summary>
/// Compose's <c>${NAME:-default}</c> and <c>${NAME:?message}</c> interpolation, resolved as on a machine
/// that sets none of the variables but ran <c>scripts/compose-env.sh</c> (the required secrets come from
/// the <c>.env</c> it writes, here into a temporary file).
/// </summary>
public static partial class ComposeVariables
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Generated = new(GenerateEnvironmentFile);

    /// <summary>What <c>scripts/compose-env.sh</c> writes, read back as compose reads <c>.env</c>.</summary>
    public static IReadOnlyDictionary<string, string> GeneratedSecrets => Generated.Value;

    /// <summary>Every <c>${...}</c> reference in <paramref name="value"/>: its default, or whether it is required.</summary>
    public static IEnumerable<(string Name, string? Default, bool Required)> References(string value) =>
        Reference().Matches(value).Select(match => (
            match.Groups["name"].Value,
            match.Groups["default"].Success ? match.Groups["default"].Value : null,
            match.Groups["required"].Success));

    /// <summary>The value with every reference replaced by its default, a required one by the generated secret (or nothing).</summary>
    public static string Resolve(string value) =>
        Reference().Replace(value, match =>
            match.Groups["default"].Success ? match.Groups["default"].Value
            : match.Groups["required"].Success ? GeneratedSecrets.GetValueOrDefault(match.Groups["name"].Value, string.Empty)
            : string.Empty).Replace("$$", "$", StringComparison.Ordinal);

    private static Dictionary<string, string> GenerateEnvironmentFile()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rm-compose-{Guid.NewGuid():N}.env");
        try
        {
            var start = new ProcessStartInfo("bash", [RepositoryPaths.Combine("scripts", "compose-env.sh"), file])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"compose-env.sh failed: {error.Result}");
            return File.ReadAllLines(file)
                .Select(line => line.Split('=', 2))
                .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?<default>[^}]*)|:\?(?<required>[^}]*))?\}")]
    private static partial Regex Reference();
}
