using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ReliableMessaging.Contracts.Hosting;

/// <summary>
/// TLS between silos and between clients (the front end) and gateways (section <c>Orleans:Tls</c>).
/// Off unless <see cref="CertificatePath"/> is set. Every member of a deployment holds the same
/// certificate (a PKCS#12 file with its key): it is presented on both sides (mutual TLS), and a
/// peer is accepted only when it presents that very certificate (pinned by its SHA-256 hash), so a
/// process without the file can neither join the cluster nor call a grain. scripts/dev-cert.sh makes
/// a development one. The embedded single-host default stays on loopback without TLS.
/// </summary>
public sealed class ClusterTlsOptions
{
    public const string SectionName = "Orleans:Tls";

    /// <summary>The PKCS#12 (.pfx) file with the certificate and its private key.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Its password, if it has one.</summary>
    public string? CertificatePassword { get; set; }

    public bool IsEnabled => !string.IsNullOrWhiteSpace(CertificatePath);

    public X509Certificate2 LoadCertificate()
    {
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(
            CertificatePath ?? throw new InvalidOperationException($"{SectionName}:CertificatePath is not set."),
            string.IsNullOrEmpty(CertificatePassword) ? null : CertificatePassword);
        return certificate.HasPrivateKey
            ? certificate
            : throw new InvalidOperationException($"{CertificatePath} holds no private key: TLS needs the certificate with its key (.pfx).");
    }

    /// <summary>True when <paramref name="remote"/> is the deployment's own certificate.</summary>
    public static bool IsSameCertificate(X509Certificate2 local, X509Certificate? remote)
    {
        ArgumentNullException.ThrowIfNull(local);
        return remote is not null
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(local.RawData), SHA256.HashData(remote.GetRawCertData()));
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
