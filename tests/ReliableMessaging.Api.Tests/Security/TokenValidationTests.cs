using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ReliableMessaging.Api.Security;

namespace ReliableMessaging.Api.Tests.Security;

/// <summary>The token rules on their own, with a key long enough for every HMAC algorithm.</summary>
public sealed class TokenValidationTests
{
    private static readonly byte[] LongKey = RandomNumberGenerator.GetBytes(64);

    private static readonly ApiAuthOptions Settings = new()
    {
        Issuer = "https://issuer.example",
        Audience = "reliable-messaging",
        SigningKey = Convert.ToBase64String(LongKey),
    };

    [Fact]
    public async Task OnlyHs256_AnotherHmacWithTheSameKeyRefused()
    {
        // Algorithm confusion: HS384/HS512 with the service's own key verify mathematically; the
        // library accepts them unless the valid algorithms are named.
        var handler = new JsonWebTokenHandler();
        var parameters = TokenValidation.Parameters(Settings);

        var hs256 = await handler.ValidateTokenAsync(Token(SecurityAlgorithms.HmacSha256), parameters);
        var hs384 = await handler.ValidateTokenAsync(Token(SecurityAlgorithms.HmacSha384), parameters);
        var hs512 = await handler.ValidateTokenAsync(Token(SecurityAlgorithms.HmacSha512), parameters);

        Assert.True(hs256.IsValid, hs256.Exception?.Message);
        Assert.False(hs384.IsValid);
        Assert.False(hs512.IsValid);
    }

    private static string Token(string algorithm) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Settings.Issuer,
        Audience = Settings.Audience,
        Expires = DateTime.UtcNow.AddHours(1),
        Claims = new Dictionary<string, object> { [ApiClaims.Subject] = "someone", [ApiClaims.Scope] = string.Join(' ', ApiScopes.All) },
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(LongKey), algorithm),
    });
}
