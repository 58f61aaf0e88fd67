using Microsoft.Extensions.DependencyInjection;
using ReliableMessaging.Atm.Cli;
using ReliableMessaging.Atm.Simulation;
using ReliableMessaging.Client;

namespace ReliableMessaging.Atm.Bank;

/// <summary>The ATMs' bank: the ReliableMessaging client library, with the run's counters watching every attempt.</summary>
public static class BankServices
{
    /// <summary>Bearer token for the API, when it requires one.</summary>
    public const string TokenVariable = "RM_API_TOKEN";

    public static ServiceProvider Build(AtmOptions options, RunCounters counters)
    {
        ArgumentNullException.ThrowIfNull(options);
        var token = Environment.GetEnvironmentVariable(TokenVariable);
        var services = new ServiceCollection();
        services.AddSingleton<IReliableMessagingObserver>(new CountingObserver(counters));
        services.AddReliableMessagingClient(client =>
        {
            client.BaseAddress = options.Api;
            client.AttemptTimeout = options.ClientTimeout;
            client.MaxAttempts = options.MaxAttempts;
            client.MaxBackoff = options.MaxBackoff;
            // The checker resolves unanswered operations itself after the run, when the cluster has settled.
            client.ResolveUnanswered = false;
            client.AccessTokenProvider = string.IsNullOrEmpty(token) ? null : _ => ValueTask.FromResult<string?>(token);
        })
        // Any pooled connection is replaced regularly, so restarted front ends and silos are found again.
        .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            ConnectTimeout = options.ClientTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
