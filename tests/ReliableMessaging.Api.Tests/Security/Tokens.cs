using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ReliableMessaging.Api.Security;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Api.Tests.Security;

/// <summary>Tokens for the refusal tests: valid ones from the test key, and each way of being wrong.</summary>
public static class Tokens
{
    public static string Valid(params string[] scopes) => FrontEndFactory.Token(scopes);

    public static string ForAccounts(IEnumerable<string> accounts, params string[] scopes) =>
        FrontEndFactory.Token(scopes.Length == 0 ? ApiScopes.All : scopes, accounts);

    public static string SignedWithAnotherKey() =>
        TokenIssuer.Issue(Convert.FromBase64String(TokenIssuer.NewKey()), FrontEndFactory.Issuer, FrontEndFactory.Audience,
            "intruder", ApiScopes.All, null, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

    public static string Expired(TimeSpan ago) =>
        TokenIssuer.Issue(FrontEndFactory.SigningKey, FrontEndFactory.Issuer, FrontEndFactory.Audience,
            "late", ApiScopes.All, null, TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow - TimeSpan.FromMinutes(10) - ago);

    public static string WithIssuer(string issuer) =>
        TokenIssuer.Issue(FrontEndFactory.SigningKey, issuer, FrontEndFactory.Audience, "other-issuer", ApiScopes.All, null, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

    public static string WithAudience(string audience) =>
        TokenIssuer.Issue(FrontEndFactory.SigningKey, FrontEndFactory.Issuer, audience, "other-audience", ApiScopes.All, null, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

    /// <summary>A valid token whose payload is changed afterwards (accounts claim removed, subject changed), signature kept.</summary>
    public static string Tampered()
    {
        var parts = FrontEndFactory.Token(ApiScopes.All, ["only-this-one"]).Split('.');
        var payload = JsonNode.Parse(Base64UrlDecode(parts[1]))!.AsObject();
        payload.Remove(ApiClaims.Accounts);
        payload[ApiClaims.Subject] = "admin";
        return $"{parts[0]}.{Base64UrlEncode(payload.ToJsonString())}.{parts[2]}";
    }

    /// <summary>A validly signed token with every scope and no <c>rm_accounts</c> claim at all (as a provider might issue it).</summary>
    public static string WithoutAccountsClaim() => Described("no-grant", DateTime.UtcNow.AddHours(1));

    /// <summary>A token with every scope and no <c>rm_accounts</c> claim for <paramref name="subject"/>, signed with the front end's own key (HS256), valid from <paramref name="notBefore"/> (now when null) until <paramref name="expires"/> (none when null).</summary>
    public static string Described(string subject, DateTime? expires, DateTime? notBefore = null)
    {
        var descriptor = new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = FrontEndFactory.Issuer,
            Audience = FrontEndFactory.Audience,
            IssuedAt = DateTime.UtcNow,
            NotBefore = notBefore ?? DateTime.UtcNow,
            Expires = expires,
            Claims = new Dictionary<string, object> { [ApiClaims.Subject] = subject, [ApiClaims.Scope] = string.Join(' ', ApiScopes.All) },
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
                new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(FrontEndFactory.SigningKey), Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256),
        };

        // Without this the handler would add an expiry of its own to a token described without one.
        return new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>
    /// A token with every scope, valid for an hour, signed with <paramref name="key"/> (the front end's
    /// own by default) by HMAC-SHA-512 as <c>HS512</c>: by hand, since the token library refuses a
    /// key shorter than 512 bits for it while HMAC itself takes any key.
    /// </summary>
    public static string SignedWithHs512(byte[]? key = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new JsonObject
        {
            ["iss"] = FrontEndFactory.Issuer,
            ["aud"] = FrontEndFactory.Audience,
            [ApiClaims.Subject] = "hs512",
            [ApiClaims.Scope] = string.Join(' ', ApiScopes.All),
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + 3600,
        };
        var signed = $"{Base64UrlEncode("""{"alg":"HS512","typ":"JWT"}""")}.{Base64UrlEncode(payload.ToJsonString())}";
        var signature = System.Security.Cryptography.HMACSHA512.HashData(key ?? FrontEndFactory.SigningKey, Encoding.ASCII.GetBytes(signed));
        return $"{signed}.{Convert.ToBase64String(signature).TrimEnd('=').Replace('+', '-').Replace('/', '_')}";
    }

    /// <summary>The same claims as a valid token, unsigned: header <c>{"alg":"none"}</c> and an empty signature.</summary>
    public static string AlgNone()
    {
        var parts = FrontEndFactory.FullAccessToken.Split('.');
        return $"{Base64UrlEncode("""{"alg":"none","typ":"JWT"}""")}.{parts[1]}.";
    }

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    private static string Base64UrlEncode(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded));
    }
}
