using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Orleans.TestingHost;
using ReliableMessaging.Api.Hosting;
using ReliableMessaging.Api.Security;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Testing;

/// <summary>
/// One instance of the real front end (the Program of the assembly holding <see cref="FrontEndOptions"/>), connected as an Orleans client to a test
/// cluster through the ADO.NET membership table, exactly as in production. It checks bearer tokens
/// against <see cref="SigningKey"/>; clients it creates carry a token with every scope on every account.
/// </summary>
public sealed class FrontEndFactory(
    PostgresServer postgres, TestCluster cluster, string? dashboardPassword = null, IReadOnlyDictionary<string, string>? settings = null)
    : WebApplicationFactory<FrontEndOptions>
{
    public const string DashboardUser = "operator";

    /// <summary>The front end's database role (silo-config/sql/50-roles.sql): it reads the gateway list and writes nothing.</summary>
    public const string FrontEndRole = "rm_frontend";
    public const string Issuer = "reliable-messaging-test";
    public const string Audience = "reliable-messaging";
    public const string TestSubject = "test-suite";

    /// <summary>The test key (random per test run): tokens signed with it are valid here.</summary>
    public static byte[] SigningKey { get; } = Convert.FromBase64String(TokenIssuer.NewKey());

    /// <summary>Every scope, every account, valid for hours: what existing tests act with.</summary>
    public static string FullAccessToken { get; } = Token(ApiScopes.All);

    public static AuthenticationHeaderValue FullAccess => new("Bearer", FullAccessToken);

    public static string Token(IEnumerable<string> scopes, IEnumerable<string>? accounts = null, TimeSpan? lifetime = null, string subject = TestSubject) =>
        TokenIssuer.Issue(SigningKey, Issuer, Audience, subject, scopes, accounts, lifetime ?? TimeSpan.FromHours(6), DateTimeOffset.UtcNow);

    /// <summary>Serve on a real loopback port (for browsers) instead of the in-memory test server.</summary>
    public FrontEndFactory WithKestrel()
    {
        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        StartServer();
        return this;
    }

    /// <summary>The base address when started <see cref="WithKestrel"/>.</summary>
    public Uri ServerAddress =>
        new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseEnvironment("Testing");
        // As deployed: the front end's read-only role (silo-config/sql/50-roles.sql), which can only read the gateway list.
        builder.UseSetting($"ConnectionStrings:{ClusterDatabase.ConnectionStringName}",
            new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Username = FrontEndRole }.ConnectionString);
        builder.UseSetting("Orleans:ClusterId", cluster.Options.ClusterId);
        builder.UseSetting("Orleans:ServiceId", cluster.Options.ServiceId);
        builder.UseSetting("Dashboard:Username", DashboardUser);
        builder.UseSetting("Dashboard:Password", dashboardPassword ?? string.Empty);
        builder.UseSetting("Auth:SigningKey", Convert.ToBase64String(SigningKey));
        builder.UseSetting("Auth:Issuer", Issuer);
        builder.UseSetting("Auth:Audience", Audience);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void ConfigureClient(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Authorization = FullAccess;
    }
}
