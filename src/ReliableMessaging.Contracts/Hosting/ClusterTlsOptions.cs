using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ReliableMessaging.Contracts.Hosting;

/// <summary>
/// TLS between silos and between clients (the front end) and gateways (section <c>Orleans:Tls</c>).
/// Off unless <see cref="CertificatePath"/> is set. Every member of a deployment holds the same
/// certificate (a PKCS#12 file with its key): it is presented on both sides (mutual TLS), and a
/// peer is accepted only when it presents that very certificate (pinned by its SHA-256 hash), or one
/// of <see cref="AlsoTrustedSha256"/> during a rotation, so a process without the file can neither
/// join the cluster nor call a grain. scripts/dev-cert.sh makes
/// a development one. The embedded single-host default stays on loopback without TLS.
/// </summary>
public sealed class ClusterTlsOptions : IValidatableObject
{
    public const string SectionName = "Orleans:Tls";

    /// <summary>The PKCS#12 (.pfx) file with the certificate and its private key.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Its password, if it has one.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Further certificates a peer may present, by the SHA-256 hash of each (hex, colons allowed, or the
    /// whole line <c>openssl x509 -fingerprint -sha256</c> prints; several separated by commas). None by default.
    /// It exists to replace the certificate without stopping the cluster: every member first trusts the
    /// next one as well, then presents it while still trusting the old, then trusts it alone, each step
    /// a rolling restart in which any two members accept each other (docs/deployment.md).
    /// </summary>
    public string? AlsoTrustedSha256 { get; set; }

    public bool IsEnabled => !string.IsNullOrWhiteSpace(CertificatePath);

    /// <summary>
    /// A password or a trusted fingerprint without a certificate means a setting went astray (a
    /// misspelt or empty path): TLS would be off without a word, so the process refuses to start.
    /// </summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IsEnabled && (!string.IsNullOrWhiteSpace(CertificatePassword) || !string.IsNullOrWhiteSpace(AlsoTrustedSha256)))
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(CertificatePassword)} or {nameof(AlsoTrustedSha256)} is set without {nameof(CertificatePath)}: cluster TLS would be off. Set the path, or remove the others.",
                [nameof(CertificatePath)]);
        }
    }

    /// <summary>
    /// How a member decides on a peer's certificate: <paramref name="local"/> itself, or one of
    /// <see cref="AlsoTrustedSha256"/>. Throws at start for a value that is not a list of SHA-256 hashes.
    /// </summary>
    public Func<X509Certificate?, bool> PeerValidator(X509Certificate2 local)
    {
        ArgumentNullException.ThrowIfNull(local);
        byte[][] trusted = [SHA256.HashData(local.RawData), .. ParseHashes(AlsoTrustedSha256)];
        return remote =>
        {
            if (remote is null)
            {
                return false;
            }

            var presented = SHA256.HashData(remote.GetRawCertData());
            // Every hash compared, in constant time each: how many matched leaks nothing either.
            var accepted = false;
            foreach (var hash in trusted)
            {
                accepted |= CryptographicOperations.FixedTimeEquals(hash, presented);
            }

            return accepted;
        };
    }

    private static IEnumerable<byte[]> ParseHashes(string? hashes)
    {
        foreach (var entry in (hashes ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // openssl prints "sha256 Fingerprint=AB:CD:..." (SHA256 in 1.1): the part after '=' is the hash.
            var hex = entry[(entry.LastIndexOf('=') + 1)..].Trim().Replace(":", string.Empty, StringComparison.Ordinal);
            byte[] hash;
            try
            {
                hash = Convert.FromHexString(hex);
            }
            catch (FormatException)
            {
                hash = [];
            }

            yield return hash.Length == SHA256.HashSizeInBytes
                ? hash
                : throw new SettingsException($"{SectionName}:AlsoTrustedSha256 holds '{entry}', which is not a SHA-256 hash (64 hex digits, colons allowed).");
        }
    }

    public X509Certificate2 LoadCertificate()
    {
        var path = CertificatePath ?? throw new SettingsException($"{SectionName}:CertificatePath is not set.");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, string.IsNullOrEmpty(CertificatePassword) ? null : CertificatePassword);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException)
        {
            // Missing, unreadable, not a .pfx, or the wrong password: the setting's to fix.
            throw new SettingsException($"{SectionName}:CertificatePath '{path}' cannot be loaded: {exception.Message}", exception);
        }

        return certificate.HasPrivateKey
            ? certificate
            : throw new SettingsException($"{CertificatePath} holds no private key: TLS needs the certificate with its key (.pfx).");
    }

    /// <summary>A self-signed development certificate for server and client authentication.</summary>
    public static X509Certificate2 CreateDevelopmentCertificate(string subject, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(subject);
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now + lifetime);
    }
}
