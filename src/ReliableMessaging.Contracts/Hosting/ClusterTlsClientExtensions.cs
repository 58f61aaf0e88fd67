using Orleans.Connections.Security;

namespace ReliableMessaging.Contracts.Hosting;

/// <summary>
/// The client side of the cluster's mutual TLS, for every Orleans client (the front end, the journal
/// audit): present the deployment's certificate, accept only it.
/// </summary>
public static class ClusterTlsClientExtensions
{
    public static IClientBuilder UseClusterTls(this IClientBuilder client, ClusterTlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(tls);
        if (!tls.IsEnabled)
        {
            return client;
        }

        var certificate = tls.LoadCertificate();
        var isTrusted = tls.PeerValidator(certificate);
        return client.UseTls(certificate, options =>
        {
            options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            options.RemoteCertificateValidation = (remote, _, _) => isTrusted(remote);
        });
    }
}
