using ReliableMessaging.Testing;

namespace ReliableMessaging.Api.Tests.Hosting;

/// <summary>
/// A setting that is misspelt, or that would silently do something else than its name says, stops the
/// front end at start with the setting's name, instead of serving with the default in its place.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class FrontEndSettingsTests(ApiFixture fixture)
{
    [Theory]
    // Misspelt: the rate limit, the tokens' audience, the dashboard's password and the cluster's TLS would keep their defaults.
    [InlineData("RateLimit:Brust", "10", "Brust")]
    [InlineData("Auth:Audiance", "other", "Audiance")]
    [InlineData("Dashboard:Pasword", "secret", "Pasword")]
    [InlineData("Orleans:Tls:CertificatPath", "/run/secrets/cluster.pfx", "CertificatPath")]
    [InlineData("Telemetry:Enabeld", "false", "Enabeld")]
    // A bucket smaller than its rate caps the rate at the bucket's size; a password without a certificate means TLS off.
    [InlineData("RateLimit:Burst", "10", "Burst")]
    [InlineData("Orleans:Tls:CertificatePassword", "secret", "CertificatePath")]
    public void FrontEnd_SettingThatWouldBeIgnoredOrMisread_RefusesToStartNamingIt(string key, string value, string named)
    {
        using var frontEnd = new FrontEndFactory(fixture.Postgres, fixture.Cluster, settings: new Dictionary<string, string> { [key] = value });

        var refused = Assert.ThrowsAny<Exception>(() => frontEnd.CreateClient().Dispose());

        Assert.Contains(named, Messages(refused), StringComparison.Ordinal);
    }

    private static string Messages(Exception exception) =>
        exception is AggregateException aggregate
            ? string.Join(" | ", aggregate.InnerExceptions.Select(Messages))
            : exception.Message + (exception.InnerException is { } inner ? " | " + Messages(inner) : string.Empty);
}
