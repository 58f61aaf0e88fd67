using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Api.Security;

/// <summary>
/// How the front end checks bearer tokens (section <c>Auth</c>): either an OpenID Connect
/// <see cref="Authority"/> (a real identity provider, keys found by discovery) or a local symmetric
/// signing key (<see cref="SigningKey"/> or <see cref="SigningKeyFile"/>; the embedded default and
/// the development token of scripts/dev-token.sh). Nullable settings may be left unset.
/// </summary>
public sealed class ApiAuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>The shortest HMAC-SHA256 key accepted: 256 bits, the hash size (RFC 7518 3.2).</summary>
    public const int MinimumKeyBytes = 32;

    /// <summary>OIDC issuer URL; its discovery document gives the signing keys and the issuer.</summary>
    public string? Authority { get; set; }

    /// <summary>With <see cref="Authority"/>: whether metadata must come over HTTPS (keep true outside development).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The expected <c>iss</c>. Required with a local key; with an authority it overrides the discovered one.</summary>
    public string? Issuer { get; set; }

    /// <summary>The expected <c>aud</c>: this API.</summary>
    public string Audience { get; set; } = "reliable-messaging";

    /// <summary>Base64 of a symmetric key of at least 32 bytes (HMAC-SHA256).</summary>
    public string? SigningKey { get; set; }

    /// <summary>A file holding the base64 key (what scripts/run.sh creates in .data/).</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>
    /// Tolerance for clock drift on <c>exp</c> and <c>nbf</c>. The framework's default of 5 minutes
    /// would accept a token 5 minutes after it expired.
    /// </summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    public bool UsesAuthority => !string.IsNullOrWhiteSpace(Authority);

    public bool UsesLocalKey => !string.IsNullOrWhiteSpace(SigningKey) || !string.IsNullOrWhiteSpace(SigningKeyFile);

    /// <summary>The local key's bytes, from <see cref="SigningKey"/> or else <see cref="SigningKeyFile"/>.</summary>
    public byte[] ReadSigningKey()
    {
        var text = !string.IsNullOrWhiteSpace(SigningKey)
            ? SigningKey
            : File.ReadAllText(SigningKeyFile ?? throw new SettingsException("No signing key is configured."));
        return Convert.FromBase64String(text.Trim());
    }
}
