using Microsoft.IdentityModel.Tokens;

namespace ReliableMessaging.Api.Security;

/// <summary>
/// What a token must satisfy, from <see cref="ApiAuthOptions"/>: signature, issuer, audience and
/// lifetime always checked, unsigned tokens (<c>alg: none</c>) refused. Shared by the bearer handler
/// and the benchmark that measures what validation costs.
/// </summary>
public static class TokenValidation
{
    public static TokenValidationParameters Parameters(ApiAuthOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var parameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidAudience = settings.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = settings.ClockSkew,
            NameClaimType = ApiClaims.Subject,
        };
        if (!string.IsNullOrWhiteSpace(settings.Issuer))
        {
            parameters.ValidIssuer = settings.Issuer;
        }

        if (settings.UsesLocalKey)
        {
            parameters.IssuerSigningKey = new SymmetricSecurityKey(settings.ReadSigningKey());
            // Only the algorithm we sign with: no algorithm confusion, no "none".
            parameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
        }

        return parameters;
    }
}
