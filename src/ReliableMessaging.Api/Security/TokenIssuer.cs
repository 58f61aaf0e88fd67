using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ReliableMessaging.Api.Security;

/// <summary>
/// Mints HS256 tokens for the local signing key: the development token of scripts/dev-token.sh,
/// the cluster script, the benchmark and the tests. Real deployments get tokens from their
/// identity provider instead.
/// </summary>
public static class TokenIssuer
{
    /// <summary>A fresh random key of <see cref="ApiAuthOptions.MinimumKeyBytes"/> bytes, base64.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(ApiAuthOptions.MinimumKeyBytes));

    /// <param name="key">The symmetric key.</param>
    /// <param name="issuer">The <c>iss</c>.</param>
    /// <param name="audience">The <c>aud</c>.</param>
    /// <param name="subject">The <c>sub</c>: who the caller is.</param>
    /// <param name="scopes">The <c>scope</c> claim (space-separated).</param>
    /// <param name="accounts">The accounts the token is limited to; null for every account (<c>rm_accounts: ["*"]</c>).</param>
    /// <param name="lifetime">From now until <c>exp</c>.</param>
    /// <param name="now">Issue time.</param>
    public static string Issue(
        byte[] key, string issuer, string audience, string subject,
        IEnumerable<string> scopes, IEnumerable<string>? accounts, TimeSpan lifetime, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(scopes);
        var claims = new Dictionary<string, object>
        {
            [ApiClaims.Subject] = subject,
            [ApiClaims.Scope] = string.Join(' ', scopes),
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        claims[ApiClaims.Accounts] = accounts?.ToArray() ?? [ApiClaims.EveryAccount];

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }
}
