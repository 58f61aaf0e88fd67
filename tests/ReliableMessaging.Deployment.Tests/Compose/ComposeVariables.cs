using System.Text.RegularExpressions;

namespace ReliableMessaging.Deployment.Tests.Compose;

/// <summary>Compose's <c>${NAME:-default}</c> interpolation, resolved as on a machine that sets none of the variables.</summary>
public static partial class ComposeVariables
{
    /// <summary>Every <c>${...}</c> reference in <paramref name="value"/>.</summary>
    public static IEnumerable<(string Name, string? Default)> References(string value) =>
        Reference().Matches(value).Select(match => (match.Groups["name"].Value, match.Groups["default"].Success ? match.Groups["default"].Value : null));

    /// <summary>The value with every reference replaced by its default (or nothing when it has none).</summary>
    public static string WithDefaults(string value) =>
        Reference().Replace(value, match => match.Groups["default"].Success ? match.Groups["default"].Value : string.Empty).Replace("$$", "$", StringComparison.Ordinal);

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?<default>[^}]*))?\}")]
    private static partial Regex Reference();
}
