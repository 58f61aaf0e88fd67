using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.TestingHost;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Hosting;

/// <summary>
/// Orleans TLS (Orleans:Tls): two silos that hold the deployment's certificate form a cluster over
/// mutual TLS; a client with it calls grains, a client without it, or with another certificate, cannot.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTlsTests(ClusterFixture fixture) : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"rm-tls-{Guid.NewGuid():N}");
    private TestCluster? _cluster;

    private string CertificatePath => Path.Combine(_directory, "cluster.pfx");

    /// <summary>The certificate a rotation is moving to: the silos already trust it (first step of a rotation).</summary>
    private string NextCertificatePath => Path.Combine(_directory, "next.pfx");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        WritePfx(CertificatePath);
        WritePfx(NextCertificatePath);
        _cluster = await AccountCluster.StartAsync(
            fixture.Postgres, $"tls-{Guid.NewGuid():N}", silos: 2,
            properties: new Dictionary<string, string>
            {
                [$"{ClusterTlsOptions.SectionName}:CertificatePath"] = CertificatePath,
                [$"{ClusterTlsOptions.SectionName}:AlsoTrustedSha256"] = Fingerprint(NextCertificatePath),
                // Handshakes on a loaded machine: the crash tests' 1 s probes voted the joining silo dead.
                [TestSiloConfigurator.OrleansFailureDetectionKey] = "true",
            },
            startClient: false);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task ClientWithTheDeploymentCertificate_CallsGrainsOverMutualTls()
    {
        using var client = await StartClientAsync(new ClusterTlsOptions { CertificatePath = CertificatePath });
        var account = client.Services.GetRequiredService<IClusterClient>().GetGrain<IAccountGrain>(TestIds.NewId());

        Assert.Equal(OpenAccountStatus.Opened, (await account.Open()).Status);
        Assert.Equal(OperationStatus.Succeeded, (await account.Deposit(TestIds.NewOperationId(), 10)).Status);
        // Both silos joined over TLS (membership probes run silo to silo).
        Assert.Equal(2, (await client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count);
    }

    [Fact]
    public async Task ClientWithoutCertificate_CannotConnectToCallAGrain()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => StartClientAsync(tls: null));
        Assert.True(refused is OrleansException or TimeoutException, $"{refused.GetType()}: {refused.Message}");
    }

    [Fact]
    public async Task ClientWithAnotherCertificate_CannotConnectToCallAGrain()
    {
        var other = Path.Combine(_directory, "other.pfx");
        WritePfx(other);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => StartClientAsync(new ClusterTlsOptions { CertificatePath = other }));
        Assert.True(refused is OrleansException or TimeoutException, $"{refused.GetType()}: {refused.Message}");
    }

    /// <summary>
    /// An attacker's client speaks TLS, presents a certificate of its own and trusts any server, so only
    /// the silo's own check can stop it: a silo that accepted any client certificate would let it call
    /// the accounts directly (the test above cannot tell, since that client refuses the silo itself).
    /// </summary>
    [Fact]
    public async Task ClientTrustingAnyServer_WithAnotherCertificate_RefusedByTheSilo()
    {
        using var other = ClusterTlsOptions.CreateDevelopmentCertificate("attacker", TimeSpan.FromHours(1));

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => StartClientAsync(client =>
            client.UseTls(other, options => options.RemoteCertificateValidation = (_, _, _) => true)));

        Assert.True(refused is OrleansException or TimeoutException, $"{refused.GetType()}: {refused.Message}");
    }

    [Fact]
    public async Task ClientTrustingAnyServer_WithTheDeploymentCertificate_Connects()
    {
        // The attacker test's client, with the right certificate: what refuses that one is its certificate.
        using var deployment = new ClusterTlsOptions { CertificatePath = CertificatePath }.LoadCertificate();

        using var client = await StartClientAsync(builder =>
            builder.UseTls(deployment, options => options.RemoteCertificateValidation = (_, _, _) => true));

        Assert.Equal(OpenAccountStatus.Opened,
            (await client.Services.GetRequiredService<IClusterClient>().GetGrain<IAccountGrain>(TestIds.NewId()).Open()).Status);
    }

    [Fact]
    public async Task Rotation_ClientWithTheNextCertificateTrustingTheCurrentOne_CallsGrains()
    {
        // The second step of a rotation: this member presents the next certificate and still trusts the
        // current one; the silos, at the first step, present the current one and trust the next too.
        using var client = await StartClientAsync(new ClusterTlsOptions { CertificatePath = NextCertificatePath, AlsoTrustedSha256 = Fingerprint(CertificatePath) });

        Assert.Equal(OpenAccountStatus.Opened,
            (await client.Services.GetRequiredService<IClusterClient>().GetGrain<IAccountGrain>(TestIds.NewId()).Open()).Status);
    }

    [Fact]
    public async Task Rotation_ClientWithTheNextCertificateAlone_RefusesTheSilosCurrentOne()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => StartClientAsync(new ClusterTlsOptions { CertificatePath = NextCertificatePath }));
        Assert.True(refused is OrleansException or TimeoutException, $"{refused.GetType()}: {refused.Message}");
    }

    [Fact]
    public void AlsoTrusted_OpensslFingerprintsAccepted_AnythingElseRefusedAtStart()
    {
        using var current = ClusterTlsOptions.CreateDevelopmentCertificate("current", TimeSpan.FromHours(1));
        using var next = ClusterTlsOptions.CreateDevelopmentCertificate("next", TimeSpan.FromHours(1));
        using var stranger = ClusterTlsOptions.CreateDevelopmentCertificate("stranger", TimeSpan.FromHours(1));
        // As openssl prints it: upper case, colon-separated; and a second entry in lower case without colons.
        var colons = string.Join(':', Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(next.RawData)).Chunk(2).Select(pair => new string(pair)));
        var plain = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stranger.RawData));

        var onlyCurrent = new ClusterTlsOptions().PeerValidator(current);
        var both = new ClusterTlsOptions { AlsoTrustedSha256 = $" {colons} , " }.PeerValidator(current);

        Assert.True(onlyCurrent(current));
        Assert.False(onlyCurrent(next));
        Assert.False(onlyCurrent(null));
        Assert.True(both(next));
        Assert.True(both(current));
        Assert.False(both(stranger));
        Assert.True(new ClusterTlsOptions { AlsoTrustedSha256 = $"{colons},{plain}" }.PeerValidator(current)(stranger));
        // The whole line openssl prints (3.x and 1.1 spell it differently), pasted as it is.
        Assert.True(new ClusterTlsOptions { AlsoTrustedSha256 = $"sha256 Fingerprint={colons}" }.PeerValidator(current)(next));
        Assert.True(new ClusterTlsOptions { AlsoTrustedSha256 = $"SHA256 Fingerprint={colons}" }.PeerValidator(current)(next));
        Assert.Throws<SettingsException>(() => new ClusterTlsOptions { AlsoTrustedSha256 = "not-a-hash" }.PeerValidator(current));
        Assert.Throws<SettingsException>(() => new ClusterTlsOptions { AlsoTrustedSha256 = plain[..40] }.PeerValidator(current));
    }

    private static string Fingerprint(string pfx)
    {
        using var certificate = new ClusterTlsOptions { CertificatePath = pfx }.LoadCertificate();
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(certificate.RawData));
    }

    private Task<IHost> StartClientAsync(ClusterTlsOptions? tls) =>
        StartClientAsync(client =>
        {
            if (tls is not null)
            {
                client.UseClusterTls(tls);
            }
        });

    private async Task<IHost> StartClientAsync(Action<IClientBuilder> configureTls)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.UseAdoNetClustering(options =>
            {
                options.Invariant = ClusterDatabase.Invariant;
                options.ConnectionString = fixture.Postgres.ConnectionString;
            });
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = _cluster!.Options.ClusterId;
                options.ServiceId = _cluster.Options.ServiceId;
            });
            // One attempt: a refused connection is the answer, not something to wait out.
            client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));
            configureTls(client);
        });
        var host = builder.Build();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await host.StartAsync(timeout.Token);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private static void WritePfx(string path)
    {
        using var certificate = ClusterTlsOptions.CreateDevelopmentCertificate("reliable-messaging-test", TimeSpan.FromHours(1));
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx));
    }
}
