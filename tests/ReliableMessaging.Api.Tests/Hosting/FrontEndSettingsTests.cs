using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReliableMessaging.Api.Dashboard;
using ReliableMessaging.Api.Hosting;
using ReliableMessaging.Api.Security;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Tooling;

namespace ReliableMessaging.Api.Tests.Hosting;

/// <summary>
/// A setting that is misspelt, or that would silently do something else than its name says, stops the
/// front end at start with the setting's name, instead of serving with the default in its place. Read
/// as the front end reads each section, without a host: a front end built and disposed in this process
/// would take the ASP.NET Core meters of the shared front ends' scrapes with it (meters are seen by
/// every listener in the process).
/// </summary>
public sealed class FrontEndSettingsTests
{
    [Theory]
    // Misspelt: the rate limit, the tokens' audience and the dashboard's password would keep their defaults.
    [InlineData("RateLimit:Brust", "10", "Brust")]
    [InlineData("Auth:Audiance", "other", "Audiance")]
    [InlineData("Dashboard:Pasword", "secret", "Pasword")]
    // A bucket smaller than its rate caps the rate at the bucket's size.
    [InlineData("RateLimit:Burst", "10", "Burst")]
    public void Options_SettingThatWouldBeIgnoredOrMisread_RefusedNamingIt(string key, string value, string named)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(Configuration(key, value));
        services.AddApiSecurity();
        services.AddDashboardAccessOptions();
        using var provider = services.BuildServiceProvider();

        // Only the section under test: the others, bound from nothing, may be incomplete in their own ways.
        var refused = Assert.ThrowsAny<Exception>(() => _ = key.Split(':')[0] switch
        {
            RateLimitOptions.SectionName => provider.GetRequiredService<IOptions<RateLimitOptions>>().Value,
            ApiAuthOptions.SectionName => provider.GetRequiredService<IOptions<ApiAuthOptions>>().Value,
            DashboardAccessOptions.SectionName => (object)provider.GetRequiredService<IOptions<DashboardAccessOptions>>().Value,
            _ => throw new ArgumentOutOfRangeException(nameof(key)),
        });

        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    // Read while the host is built (they decide what is registered): a misspelt path turns cluster TLS off,
    // a misspelt switch keeps telemetry; a password without a certificate means TLS off.
    [InlineData("Orleans:Tls:CertificatPath", "/run/secrets/cluster.pfx", "CertificatPath")]
    [InlineData("Orleans:Tls:CertificatePassword", "secret", "CertificatePath")]
    [InlineData("Orleans:Tls:AlsoTrustedSha256", "ab", "CertificatePath")]
    [InlineData("Telemetry:Enabeld", "false", "Enabeld")]
    public void BuildTimeSettings_ThatWouldBeIgnoredOrMisread_RefusedNamingIt(string key, string value, string named)
    {
        var configuration = Configuration(key, value);

        var refused = Assert.ThrowsAny<Exception>(() =>
        {
            configuration.ReadAtBuildTime<ClusterTlsOptions>(ClusterTlsOptions.SectionName);
            configuration.ReadAtBuildTime<TelemetryOptions>(TelemetryOptions.SectionName);
        });

        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_Accepted()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(RepositoryPaths.Root, "src", "ReliableMessaging.Api", "appsettings.json")).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddApiSecurity();
        services.AddDashboardAccessOptions();
        using var provider = services.BuildServiceProvider();

        Assert.Equal(2000, provider.GetRequiredService<IOptions<RateLimitOptions>>().Value.Burst);
        Assert.Equal("operator", provider.GetRequiredService<IOptions<DashboardAccessOptions>>().Value.Username);
        Assert.False(configuration.ReadAtBuildTime<ClusterTlsOptions>(ClusterTlsOptions.SectionName).IsEnabled);
        Assert.True(configuration.ReadAtBuildTime<TelemetryOptions>(TelemetryOptions.SectionName).Enabled);
    }

    private static IConfiguration Configuration(string key, string value) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
}
