using System.Globalization;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Api.Security;

/// <summary>
/// <c>ReliableMessaging.Api token [--scopes a,b] [--accounts x,y] [--expires-in 1h] [--subject name]</c>:
/// prints a token signed with the local key the front end is configured with (same appsettings and
/// environment), so it is valid for that front end. Defaults: every scope, every account, 1 hour.
/// </summary>
public static class TokenCommand
{
    public const string Name = "token";

    public static int Run(IReadOnlyList<string> args, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        // A command without a host: its options are read the build-time way, then checked by the front end's own validator.
        var options = configuration.ReadAtBuildTime<ApiAuthOptions>(ApiAuthOptions.SectionName);
        var validation = new ApiAuthOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            error.WriteLine($"token: {validation.FailureMessage}");
            return 1;
        }

        if (!options.UsesLocalKey)
        {
            error.WriteLine($"token: {ApiAuthOptions.SectionName}:Authority is set; get tokens from that identity provider.");
            return 1;
        }

        IReadOnlyList<string> scopes = ApiScopes.All;
        IReadOnlyList<string>? accounts = null;
        var lifetime = TimeSpan.FromHours(1);
        var subject = "dev";
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            if (value is null && args[i] is "--scopes" or "--accounts" or "--expires-in" or "--subject")
            {
                return Usage(error, $"{args[i]} needs a value");
            }

            switch (args[i])
            {
                case "--scopes":
                    scopes = List(value!);
                    if (scopes.FirstOrDefault(scope => !ApiScopes.All.Contains(scope)) is { } unknown)
                    {
                        return Usage(error, $"unknown scope '{unknown}' (known: {string.Join(", ", ApiScopes.All)})");
                    }

                    break;
                case "--accounts":
                    accounts = List(value!);
                    break;
                case "--expires-in":
                    if (ParseDuration(value!) is not { } parsed)
                    {
                        return Usage(error, $"--expires-in takes a duration such as 90s, 30m, 1h or 7d, not '{value}'");
                    }

                    if (parsed > MaxLifetime)
                    {
                        // No token can be revoked: a leaked one is good until it expires.
                        return Usage(error, $"--expires-in is at most {MaxLifetime.TotalDays:0}d (a token cannot be revoked), not '{value}'");
                    }

                    lifetime = parsed;
                    break;
                case "--subject":
                    subject = value!;
                    break;
                default:
                    return Usage(error, $"unknown argument '{args[i]}'");
            }

            i++;
        }

        output.WriteLine(TokenIssuer.Issue(
            options.ReadSigningKey(), options.Issuer!, options.Audience, subject, scopes, accounts, lifetime, DateTimeOffset.UtcNow));
        return 0;
    }

    /// <summary>The longest lifetime the command issues: tokens cannot be revoked, so a leaked one is good until it expires.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(30);

    /// <summary>90s, 30m, 1h, 7d, or a TimeSpan (00:30:00); positive.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        TimeSpan? parsed = text.Length >= 2 && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(count),
                'm' => TimeSpan.FromMinutes(count),
                'h' => TimeSpan.FromHours(count),
                'd' => TimeSpan.FromDays(count),
                _ => null,
            }
            : TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? span : null;
        return parsed > TimeSpan.Zero ? parsed : null;
    }

    private static string[] List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int Usage(TextWriter error, string problem)
    {
        error.WriteLine($"token: {problem}");
        error.WriteLine("usage: token [--scopes a,b] [--accounts x,y] [--expires-in 1h] [--subject name]");
        return 2;
    }
}
