using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using ReliableMessaging.Api.Security;

namespace ReliableMessaging.Api.Tests.Security;

/// <summary>The <c>token</c> command: what it issues by default, and what it refuses to issue.</summary>
public sealed class TokenCommandTests
{
    private static readonly IConfiguration Configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Auth:SigningKey"] = TokenIssuer.NewKey(),
        ["Auth:Issuer"] = "reliable-messaging-local",
    }).Build();

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = TokenCommand.Run(args, Configuration, output, error);
        return (exitCode, output.ToString().Trim(), error.ToString());
    }

    private static JsonObject Payload(string token)
    {
        var part = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        return JsonNode.Parse(Convert.FromBase64String(part.PadRight(part.Length + ((4 - (part.Length % 4)) % 4), '=')))!.AsObject();
    }

    [Fact]
    public void Token_Defaults_EveryScopeEveryAccountByTheWildcardOneHour()
    {
        var (exitCode, token, _) = Run();

        Assert.Equal(0, exitCode);
        var payload = Payload(token);
        Assert.Equal(["*"], payload[ApiClaims.Accounts]!.AsArray().Select(node => (string)node!));
        Assert.Equal(string.Join(' ', ApiScopes.All), (string)payload[ApiClaims.Scope]!);
        Assert.Equal(3600, (long)payload["exp"]! - (long)payload["iat"]!);
    }

    [Fact]
    public void Token_ExpiresInBeyondThirtyDays_RefusedWithExitCode2()
    {
        // A token cannot be revoked: a leaked century-long one would be good for a century.
        var (exitCode, token, error) = Run("--expires-in", "36500d");
        var (longest, _, _) = Run("--expires-in", "30d");

        Assert.Equal(2, exitCode);
        Assert.Empty(token);
        Assert.Contains("at most 30d", error, StringComparison.Ordinal);
        Assert.Equal(0, longest);
    }
}
