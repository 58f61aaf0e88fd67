using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using ReliableMessaging.Api.Security;

namespace ReliableMessaging.Deployment.Tests.Compose;

/// <summary>
/// No Docker engine runs where the tests run, so docker-compose.yml is kept honest by reading it and
/// checking it against the code, silo-config and the Dockerfiles.
/// </summary>
public sealed partial class ComposeFileTests
{
    private readonly ComposeFile _compose = ComposeFile.Load();

    [Fact]
    public void ComposeFile_Services_PostgresThreeSilosTheFrontEndPrometheusAndGrafana()
    {
        Assert.Equal(3, _compose.Silos.Count());
        Assert.NotNull(_compose.Postgres);
        Assert.NotNull(_compose.FrontEnd);
        Assert.NotNull(_compose.Prometheus);
        Assert.NotNull(_compose.Grafana);
        Assert.Equal(7, _compose.Services.Count);
    }

    [Fact]
    public void ComposeFile_TopLevel_NoVersionKeyAndNamedVolumesOnly()
    {
        Assert.DoesNotContain("version", _compose.TopLevelKeys);
        Assert.NotEmpty(_compose.NamedVolumes);
        foreach (var service in _compose.Services.Values)
        {
            foreach (var volume in service.Volumes)
            {
                var source = volume.Split(':')[0];
                if (source.StartsWith('.') || source.StartsWith('/'))
                {
                    Assert.True(Directory.Exists(Path.Combine(RepositoryPaths.Root, source)) || File.Exists(Path.Combine(RepositoryPaths.Root, source)),
                        $"{service.Name} mounts {source}, which does not exist in the repository.");
                    Assert.EndsWith(":ro", volume, StringComparison.Ordinal);
                }
                else
                {
                    Assert.Contains(source, _compose.NamedVolumes);
                }
            }
        }

        Assert.Contains(_compose.Postgres.Volumes, volume => volume.StartsWith("postgres-data:/var/lib/postgresql/data", StringComparison.Ordinal));
    }

    [Fact]
    public void Images_EveryPulledAndBaseImage_PinnedToAVersionTag()
    {
        foreach (var service in _compose.Services.Values)
        {
            Assert.False(string.IsNullOrEmpty(service.Image), $"{service.Name} has no image name.");
            if (service.Build is { } build)
            {
                // Built here: an explicit tag of ours, never the implicit "latest".
                Assert.Matches(@"^[a-z0-9./-]+:[A-Za-z0-9._-]+$", service.Image);
                Assert.False(service.Image!.EndsWith(":latest", StringComparison.Ordinal), $"{service.Name}: {service.Image}");
                foreach (var baseImage in Dockerfile.Load(build).BaseImages)
                {
                    Assert.True(Dockerfile.IsPinned(baseImage), $"{build.Dockerfile} builds FROM {baseImage}: pin a version tag.");
                }
            }
            else
            {
                Assert.True(Dockerfile.IsPinned(service.Image!), $"{service.Name} pulls {service.Image}: pin a version tag.");
            }
        }
    }

    [Fact]
    public void DependsOn_EveryDependency_WaitsForAHealthyServiceWithAHealthcheck()
    {
        foreach (var service in _compose.Services.Values)
        {
            Assert.NotNull(service.Healthcheck);
            foreach (var (dependency, condition) in service.DependsOn)
            {
                Assert.True(_compose.Services.ContainsKey(dependency), $"{service.Name} depends on unknown {dependency}.");
                Assert.Equal("service_healthy", condition);
                Assert.NotNull(_compose.Services[dependency].Healthcheck);
            }
        }

        foreach (var silo in _compose.Silos)
        {
            Assert.Contains(_compose.Postgres.Name, silo.DependsOn.Keys);
        }

        Assert.Equal(
            _compose.Silos.Select(silo => silo.Name).Append(_compose.Postgres.Name).Order(),
            _compose.FrontEnd.DependsOn.Keys.Order());
    }

    [Fact]
    public void Silos_EveryKeyTheSiloReads_IsSetByTheImageOrTheEnvironment()
    {
        Assert.Superset(ConfigurationKeys.KnownSiloKeys.ToHashSet(), ConfigurationKeys.Silo.ToHashSet());
        foreach (var silo in _compose.Silos)
        {
            var configuration = EffectiveConfiguration.ForSilo(silo);
            foreach (var key in ConfigurationKeys.RequiredSilo)
            {
                Assert.False(string.IsNullOrEmpty(configuration[key]), $"{silo.Name}: nothing sets {key} (silo-config appsettings or compose environment).");
            }

            Assert.Equal("true", configuration["Orleans:ListenOnAnyHostAddress"], ignoreCase: true);
            Assert.True(File.Exists(Path.Combine(RepositoryPaths.SiloConfig, $"appsettings.{EffectiveConfiguration.ContainerEnvironment(silo)["DOTNET_ENVIRONMENT"]}.json")));
        }
    }

    [Fact]
    public void FrontEnd_EveryKeyTheFrontEndReads_IsSetByTheImageOrTheEnvironment()
    {
        Assert.Superset(ConfigurationKeys.KnownFrontEndKeys.ToHashSet(), ConfigurationKeys.FrontEnd.ToHashSet());
        var configuration = EffectiveConfiguration.ForFrontEnd(_compose.FrontEnd);
        foreach (var key in ConfigurationKeys.RequiredFrontEnd)
        {
            Assert.False(string.IsNullOrEmpty(configuration[key]), $"front end: nothing sets {key} (its appsettings.json or compose environment).");
        }

        Assert.Contains("Auth:SigningKey", ConfigurationKeys.FrontEnd);
        Assert.DoesNotContain("Auth:SigningKey", ConfigurationKeys.RequiredFrontEnd);
    }

    [Fact]
    public void FrontEnd_Tokens_CheckedWithALocalKeyByDefaultAndAnOidcOverrideThatReplacesIt()
    {
        // The compose default: a local key, valid as the front end validates it at start.
        var configuration = EffectiveConfiguration.ForFrontEnd(_compose.FrontEnd);
        var local = configuration.GetSection(ApiAuthOptions.SectionName).Get<ApiAuthOptions>()!;
        Assert.True(local.UsesLocalKey);
        Assert.False(local.UsesAuthority);
        Assert.True(local.ReadSigningKey().Length >= ApiAuthOptions.MinimumKeyBytes);

        // docker-compose.oidc.yml: only real front-end settings, the key emptied, an authority required.
        var oidc = ComposeFile.Load(RepositoryPaths.Combine("docker-compose.oidc.yml"));
        var api = Assert.Single(oidc.Services.Values);
        Assert.Equal(_compose.FrontEnd.Name, api.Name);
        var known = ConfigurationKeys.FrontEnd.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (variable, _) in api.Environment)
        {
            Assert.Contains(variable.Replace("__", ":", StringComparison.Ordinal), known);
        }

        Assert.Equal(string.Empty, api.Environment["Auth__SigningKey"]);
        Assert.StartsWith("${RM_OIDC_AUTHORITY:?", api.Environment["Auth__Authority"], StringComparison.Ordinal);
        var merged = _compose.FrontEnd.Environment.ToDictionary();
        foreach (var (key, value) in api.Environment)
        {
            merged[key] = value.Replace(api.Environment["Auth__Authority"], "https://idp.example", StringComparison.Ordinal);
        }

        var settings = new ConfigurationBuilder()
            .AddJsonFile(RepositoryPaths.Combine("src", "ReliableMessaging.Api", "appsettings.json"))
            .AddInMemoryCollection(merged.Select(entry => new KeyValuePair<string, string?>(entry.Key.Replace("__", ":", StringComparison.Ordinal), ComposeVariables.Resolve(entry.Value))))
            .Build()
            .GetSection(ApiAuthOptions.SectionName).Get<ApiAuthOptions>()!;
        Assert.True(settings.UsesAuthority);
        Assert.False(settings.UsesLocalKey);
    }

    [Fact]
    public void EnvironmentKeys_UnderSectionsTheCodeOwns_NameRealSettings()
    {
        var siloKnown = ConfigurationKeys.Silo.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var frontEndKnown = ConfigurationKeys.FrontEnd.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var silo in _compose.Silos)
        {
            AssertKnown(silo, siloKnown);
        }

        AssertKnown(_compose.FrontEnd, frontEndKnown);

        static void AssertKnown(ComposeService service, HashSet<string> known)
        {
            var sections = ConfigurationKeys.SectionsOf(known);
            foreach (var variable in service.Environment.Keys)
            {
                var key = variable.Replace("__", ":", StringComparison.Ordinal);
                if (key.StartsWith("Orleans:Membership:", StringComparison.OrdinalIgnoreCase))
                {
                    Assert.Contains(key["Orleans:Membership:".Length..], ConfigurationKeys.MembershipProperties);
                }
                else if (key.StartsWith("Orleans:Gateway:", StringComparison.OrdinalIgnoreCase) || key.Equals("Orleans:Name", StringComparison.OrdinalIgnoreCase))
                {
                    // Read by Orleans itself (GatewayOptions, SiloOptions.SiloName).
                    continue;
                }
                else if (key.Contains(':', StringComparison.Ordinal) && sections.Any(section => key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase)))
                {
                    Assert.True(known.Contains(key), $"{service.Name}: {variable} is under a section the code owns but is no setting of it (typo?).");
                }
            }
        }
    }

    [Fact]
    public void Silos_Ports_AgreeWithSiloConfigExposeHealthcheckAndDockerfile()
    {
        var defaults = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(RepositoryPaths.SiloConfig, "appsettings.json"))
            .Build();
        foreach (var silo in _compose.Silos)
        {
            var configuration = EffectiveConfiguration.ForSilo(silo);
            var siloPort = configuration["Orleans:SiloPort"]!;
            var gatewayPort = configuration["Orleans:GatewayPort"]!;
            Assert.Equal(defaults["Orleans:SiloPort"], siloPort);
            Assert.Equal(defaults["Orleans:GatewayPort"], gatewayPort);
            Assert.Contains(siloPort, silo.Expose);
            Assert.Contains(gatewayPort, silo.Expose);
            Assert.Contains($"/dev/tcp/127.0.0.1/{gatewayPort}", silo.Healthcheck, StringComparison.Ordinal);
            var exposed = Dockerfile.Load(silo.Build!).ExposedPorts;
            Assert.Contains(int.Parse(siloPort, CultureInfo.InvariantCulture), exposed);
            Assert.Contains(int.Parse(gatewayPort, CultureInfo.InvariantCulture), exposed);
        }
    }

    [Fact]
    public void Silos_AdvertisedAddresses_AreTheirOwnDistinctStaticAddressesInTheSubnet()
    {
        var subnet = _compose.Subnet("rm");
        Assert.NotNull(subnet);
        var network = IPNetwork.Parse(subnet);
        var addresses = new List<string>();
        foreach (var silo in _compose.Silos)
        {
            var advertised = EffectiveConfiguration.ForSilo(silo)["Orleans:AdvertisedIPAddress"]!;
            Assert.Equal(silo.Address("rm"), advertised);
            Assert.True(network.Contains(IPAddress.Parse(advertised)), $"{silo.Name} advertises {advertised}, outside {subnet}.");
            addresses.Add(advertised);
        }

        Assert.Equal(addresses.Count, addresses.Distinct().Count());
        Assert.Equal(3, _compose.Silos.Select(silo => EffectiveConfiguration.ForSilo(silo)["Orleans:Name"]).Distinct().Count());
    }

    [Fact]
    public void ClusterIdentity_SilosAndFrontEnd_Agree()
    {
        var frontEnd = EffectiveConfiguration.ForFrontEnd(_compose.FrontEnd);
        foreach (var silo in _compose.Silos)
        {
            var configuration = EffectiveConfiguration.ForSilo(silo);
            Assert.Equal(frontEnd["Orleans:ClusterId"], configuration["Orleans:ClusterId"]);
            Assert.Equal(frontEnd["Orleans:ServiceId"], configuration["Orleans:ServiceId"]);
        }
    }

    [Fact]
    public void FrontEnd_Port_AgreesWithUrlsPublishedPortHealthcheckAndDockerfile()
    {
        var configuration = EffectiveConfiguration.ForFrontEnd(_compose.FrontEnd);
        var urls = new Uri(configuration["Urls"]!);
        Assert.Equal("0.0.0.0", urls.Host);
        var port = urls.Port.ToString(CultureInfo.InvariantCulture);

        // Published on the host's loopback, on the port scripts/run.sh and the README use.
        var defaultUrls = new ConfigurationBuilder()
            .AddJsonFile(RepositoryPaths.Combine("src", "ReliableMessaging.Api", "appsettings.json"))
            .Build()["Urls"]!;
        var published = Assert.Single(_compose.FrontEnd.Ports);
        Assert.Equal($"127.0.0.1:{new Uri(defaultUrls).Port}:{port}", published);
        Assert.Contains($"/dev/tcp/127.0.0.1/{port}", _compose.FrontEnd.Healthcheck, StringComparison.Ordinal);
        Assert.Contains("/health/ready", _compose.FrontEnd.Healthcheck, StringComparison.Ordinal);
        Assert.Contains(urls.Port, Dockerfile.Load(_compose.FrontEnd.Build!).ExposedPorts);
        Assert.False(string.IsNullOrEmpty(configuration["Dashboard:Password"]), "The dashboard is only served with a password.");
    }

    [Fact]
    public void ClusterTls_SilosAndFrontEnd_ShareOneCertificateSecretKeptOutOfGit()
    {
        var secret = ComposeFile.Map(ComposeFile.Map(_compose.Root, "secrets"), "cluster-tls");
        Assert.NotNull(secret);
        var file = ComposeVariables.Resolve(ComposeFile.Scalar(secret, "file")!);
        Assert.StartsWith("./.data/", file, StringComparison.Ordinal);
        Assert.Contains(".data/", File.ReadAllLines(RepositoryPaths.Combine(".gitignore")));

        foreach (var service in _compose.Silos.Append(_compose.FrontEnd))
        {
            Assert.Contains("cluster-tls", service.Secrets);
            var configuration = service == _compose.FrontEnd ? EffectiveConfiguration.ForFrontEnd(service) : EffectiveConfiguration.ForSilo(service);
            Assert.Equal("/run/secrets/cluster-tls", configuration[$"{ReliableMessaging.Contracts.Hosting.ClusterTlsOptions.SectionName}:CertificatePath"]);
        }
    }

    [Fact]
    public void Postgres_InitScripts_AreTheSiloConfigSchemaFiles()
    {
        var mount = Assert.Single(_compose.Postgres.Volumes, volume => volume.Contains("/docker-entrypoint-initdb.d", StringComparison.Ordinal));
        var source = Path.GetFullPath(Path.Combine(RepositoryPaths.Root, mount.Split(':')[0]));
        Assert.Equal(Path.Combine(RepositoryPaths.SiloConfig, "sql"), source);
        var files = Directory.GetFiles(source, "*.sql").Select(Path.GetFileName).Order().ToList();
        Assert.Contains("00-orleans-query.sql", files);
        Assert.Contains("10-clustering.sql", files);
        Assert.Contains("20-persistence.sql", files);

        // The entrypoint runs only *.sql, *.sql.gz, *.sql.xz, *.sql.zst and *.sh, in name order.
        Assert.All(Directory.GetFiles(source), file => Assert.EndsWith(".sql", file, StringComparison.Ordinal));
        Assert.Contains("pg_isready", _compose.Postgres.Healthcheck, StringComparison.Ordinal);
        Assert.Contains("-h 127.0.0.1", _compose.Postgres.Healthcheck, StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectionStrings_PointAtThePostgresServiceWithItsDatabaseAndCredentials()
    {
        var postgres = _compose.Postgres.Environment;
        var passwordSettings = PasswordSettings(postgres["PGOPTIONS"]);
        foreach (var service in _compose.Silos.Append(_compose.FrontEnd))
        {
            var raw = service.Environment["ConnectionStrings__ReliableMessaging"];
            var parts = raw.Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Select(part => part.Split('=', 2))
                .ToDictionary(pair => pair[0].Trim(), pair => pair[1].Trim(), StringComparer.OrdinalIgnoreCase);
            Assert.Equal(_compose.Postgres.Name, parts["Host"]);
            Assert.Equal("5432", parts["Port"]);
            Assert.Equal(postgres["POSTGRES_DB"], parts["Database"]);
            // The least-privilege roles of silo-config/sql/50-roles.sql, never the superuser: the silos'
            // rm_app, and the front end's read-only rm_frontend (the most exposed credentials can write
            // nothing), each with the same variable as the password the schema gives that role.
            var (role, setting) = service.Name == _compose.FrontEnd.Name ? (FrontEndRole, "rm.frontend_password") : (ApplicationRole, "rm.app_password");
            Assert.Equal(role, parts["Username"]);
            Assert.NotEqual(postgres["POSTGRES_USER"], parts["Username"]);
            Assert.Equal(parts["Password"], passwordSettings[setting]);
        }

        Assert.NotEqual(passwordSettings["rm.app_password"], passwordSettings["rm.frontend_password"]);
        var roles = File.ReadAllText(Path.Combine(RepositoryPaths.SiloConfig, "sql", "50-roles.sql"));
        foreach (var (role, setting) in new[] { (ApplicationRole, "rm.app_password"), (FrontEndRole, "rm.frontend_password") })
        {
            // The file creates each role with the password of its setting.
            Assert.Contains($"('{role}', '{setting}')", roles, StringComparison.Ordinal);
        }
    }

    private const string ApplicationRole = "rm_app";
    private const string FrontEndRole = "rm_frontend";

    /// <summary>The <c>-c name=value</c> settings of PGOPTIONS.</summary>
    private static Dictionary<string, string> PasswordSettings(string pgOptions) =>
        pgOptions.Split("-c ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(setting => setting.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);

    [Fact]
    public void Secrets_RequiredFromTheEnvironment_NoDefaults_AndComposeEnvWritesEachOne()
    {
        // A default secret would be a published one: anyone who read this file could mint tokens for
        // a deployment that forgot to set its key. Compose refuses to start without them instead.
        var secrets = new[]
        {
            _compose.Postgres.Environment["POSTGRES_PASSWORD"],
            PasswordSettings(_compose.Postgres.Environment["PGOPTIONS"])["rm.app_password"],
            PasswordSettings(_compose.Postgres.Environment["PGOPTIONS"])["rm.frontend_password"],
            _compose.FrontEnd.Environment["Dashboard__Password"],
            _compose.FrontEnd.Environment["Auth__SigningKey"],
            _compose.Grafana.Environment["GF_SECURITY_ADMIN_PASSWORD"],
        };
        var required = new HashSet<string>(StringComparer.Ordinal);
        foreach (var secret in secrets)
        {
            var reference = Assert.Single(ComposeVariables.References(secret));
            Assert.StartsWith("RM_", reference.Name, StringComparison.Ordinal);
            Assert.True(reference.Required && reference.Default is null, $"{reference.Name} must be required (${{{reference.Name}:?...}}), with no default.");
            Assert.Equal($"${{{reference.Name}:?run scripts/compose-env.sh first}}", secret);
            required.Add(reference.Name);
        }

        // Every required variable of the file is one compose-env.sh writes, and the key it writes is one the front end accepts.
        var everyRequired = _compose.Services.Values
            .SelectMany(service => service.Environment.Values)
            .SelectMany(ComposeVariables.References)
            .Where(reference => reference.Required)
            .Select(reference => reference.Name)
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(required.Order(), everyRequired.Order());
        Assert.Equal(required.Order(), ComposeVariables.GeneratedSecrets.Keys.Order());
        Assert.Equal(32, Convert.FromBase64String(ComposeVariables.GeneratedSecrets["RM_API_SIGNING_KEY"]).Length);
        Assert.All(ComposeVariables.GeneratedSecrets.Values, value => Assert.True(value.Length >= 32, "a secret shorter than 32 characters"));
        Assert.Contains(".env", File.ReadAllLines(RepositoryPaths.Combine(".gitignore")));
        Assert.DoesNotContain("CQuN0fFG", File.ReadAllText(RepositoryPaths.Combine("docker-compose.yml")), StringComparison.Ordinal);

        // No password is written out anywhere else.
        foreach (var service in _compose.Services.Values)
        {
            foreach (var (key, value) in service.Environment)
            {
                foreach (Match match in PasswordSetting().Matches(value))
                {
                    Assert.StartsWith("${", match.Groups["value"].Value, StringComparison.Ordinal);
                }

                if (key.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase))
                {
                    Assert.StartsWith("${", value, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public void Dockerfiles_CopySourcesExistAndEntrypointsRunTheirProject()
    {
        foreach (var service in _compose.Services.Values.Where(service => service.Build is not null))
        {
            var build = service.Build!;
            var dockerfile = Dockerfile.Load(build);
            foreach (var source in dockerfile.ContextSources)
            {
                var path = Path.Combine(RepositoryPaths.Root, build.Context, source);
                Assert.True(File.Exists(path) || Directory.Exists(path), $"{build.Dockerfile} copies {source}, which does not exist.");
            }

            var project = Path.GetFileName(Path.GetDirectoryName(build.Dockerfile))!;
            Assert.Contains($"\"{project}.dll\"", dockerfile.Entrypoint, StringComparison.Ordinal);
            Assert.Contains(dockerfile.RunCommands, run => run.Contains($"dotnet publish src/{project}/{project}.csproj", StringComparison.Ordinal));
        }

        var ignored = File.ReadAllLines(RepositoryPaths.Combine(".dockerignore"));
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.Contains(".data/", ignored);
    }

    [GeneratedRegex(@"Password=(?<value>[^;]*)", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordSetting();
}
