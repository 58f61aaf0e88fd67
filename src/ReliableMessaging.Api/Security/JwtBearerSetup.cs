using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace ReliableMessaging.Api.Security;

/// <summary>
/// Bearer validation from <see cref="ApiAuthOptions"/>: signature, issuer, audience and lifetime
/// always checked, unsigned tokens (<c>alg: none</c>) refused, claim names kept as issued.
/// </summary>
internal sealed class JwtBearerSetup(IOptions<ApiAuthOptions> auth) : IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(string? name, JwtBearerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (name != JwtBearerDefaults.AuthenticationScheme)
        {
            return;
        }

        var settings = auth.Value;
        // Otherwise "sub" becomes a long XML claim type and "scope" may be rewritten.
        options.MapInboundClaims = false;
        // A refused token learns only that it was refused (401, error="invalid_token"), not which check
        // it failed (signature, audience, lifetime): no oracle for someone forging one.
        options.IncludeErrorDetails = false;
        options.Audience = settings.Audience;
        options.TokenValidationParameters = TokenValidation.Parameters(settings);
        if (settings.UsesAuthority)
        {
            options.Authority = settings.Authority;
            options.RequireHttpsMetadata = settings.RequireHttpsMetadata;
        }
    }

    public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);
}
