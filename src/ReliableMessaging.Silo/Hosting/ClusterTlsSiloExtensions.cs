using Orleans.Connections.Security;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Silo.Hosting;

/// <summary>Mutual TLS on the silo's silo-to-silo and gateway connections, from <see cref="ClusterTlsOptions"/>.</summary>
public static class ClusterTlsSiloExtensions
{
    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        // Build-time: whether TLS is on decides what is registered.
        var tls = silo.Configuration.ReadAtBuildTime<ClusterTlsOptions>(ClusterTlsOptions.SectionName);
        if (!tls.IsEnabled)
        {
            return silo;
        }

        var certificate = tls.LoadCertificate();
        var isTrusted = tls.PeerValidator(certificate);
        return silo.UseTls(certificate, options =>
        {
            // Both directions present the deployment's certificate; anything else is refused.
            options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            options.RemoteCertificateValidation = (remote, _, _) => isTrusted(remote);
        });
    }
}
