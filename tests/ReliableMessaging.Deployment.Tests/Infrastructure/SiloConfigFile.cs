using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>Values read from silo-config/appsettings.json, the configuration every silo starts from.</summary>
public static class SiloConfigFile
{
    private static readonly Lazy<IConfigurationRoot> Configuration = new(() => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(RepositoryPaths.SiloConfig, "appsettings.json"))
        .Build());

    /// <summary>Accounts:OperationWindowSize: how many records an account keeps in its state.</summary>
    public static int WindowSize => int.Parse(
        Configuration.Value["Accounts:OperationWindowSize"] ?? throw new InvalidOperationException("silo-config sets no Accounts:OperationWindowSize"),
        CultureInfo.InvariantCulture);
}
