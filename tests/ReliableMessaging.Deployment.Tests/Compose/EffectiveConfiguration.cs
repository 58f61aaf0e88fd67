using Microsoft.Extensions.Configuration;

namespace ReliableMessaging.Deployment.Tests.Compose;

/// <summary>
/// The configuration a container of a compose service would see, built the way the host builds it:
/// the appsettings files its image contains, then the environment (the Dockerfile's ENV, overridden by
/// the compose file's environment, with compose variables at their defaults, required secrets as scripts/compose-env.sh writes them).
/// </summary>
public static class EffectiveConfiguration
{
    public static IConfigurationRoot ForSilo(ComposeService service) =>
        Build(service, environment => [
            Path.Combine(RepositoryPaths.SiloConfig, "appsettings.json"),
            Path.Combine(RepositoryPaths.SiloConfig, $"appsettings.{environment}.json"),
        ]);

    public static IConfigurationRoot ForFrontEnd(ComposeService service) =>
        Build(service, environment => [
            RepositoryPaths.Combine("src", "ReliableMessaging.Api", "appsettings.json"),
            RepositoryPaths.Combine("src", "ReliableMessaging.Api", $"appsettings.{environment}.json"),
        ]);

    /// <summary>The process environment of the service's container: Dockerfile ENV, then compose.</summary>
    public static Dictionary<string, string> ContainerEnvironment(ComposeService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var environment = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (service.Build is { } build)
        {
            foreach (var (key, value) in Dockerfile.Load(build).Environment)
            {
                environment[key] = value;
            }
        }

        foreach (var (key, value) in service.Environment)
        {
            environment[key] = ComposeVariables.Resolve(value);
        }

        return environment;
    }

    private static IConfigurationRoot Build(ComposeService service, Func<string, string[]> files)
    {
        var environment = ContainerEnvironment(service);
        // As Host.CreateApplicationBuilder: DOTNET_ENVIRONMENT picks appsettings.{environment}.json (ASP.NET Core also reads ASPNETCORE_ENVIRONMENT).
        var name = environment.GetValueOrDefault("ASPNETCORE_ENVIRONMENT") ?? environment.GetValueOrDefault("DOTNET_ENVIRONMENT") ?? "Production";
        var builder = new ConfigurationBuilder();
        var paths = files(name);
        builder.AddJsonFile(paths[0], optional: false);
        builder.AddJsonFile(paths[1], optional: true);
        builder.AddInMemoryCollection(environment
            .Where(entry => !entry.Key.StartsWith("DOTNET_", StringComparison.Ordinal) && !entry.Key.StartsWith("ASPNETCORE_", StringComparison.Ordinal))
            .Select(entry => new KeyValuePair<string, string?>(entry.Key.Replace("__", ":", StringComparison.Ordinal), entry.Value)));
        return builder.Build();
    }
}
