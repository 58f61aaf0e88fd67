using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReliableMessaging.Client;

namespace ReliableMessaging.Api.Tests.Client;

/// <summary>
/// The client's registration without a cluster. Settings the client cannot work with are refused when the options are first read (at the host's
/// start, with ValidateOnStart), not at the first request, where a deposit's key would be at stake.
/// </summary>
public sealed class ClientRegistrationTests
{
    public static TheoryData<string> Unusable => new()
    {
        "file-address",
        "relative-address",
        "attempt-timeout-too-short",
        "attempt-timeout-too-long",
        "retry-after-too-long",
        "backoff-too-long",
        "break-too-long",
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public void Options_Unusable_RefusedWhenRead(string setting)
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Read(options =>
        {
            switch (setting)
            {
                case "file-address": options.BaseAddress = new Uri("file:///tmp/bank/"); break;
                case "relative-address": options.BaseAddress = new Uri("bank/", UriKind.Relative); break;
                case "attempt-timeout-too-short": options.AttemptTimeout = TimeSpan.FromMilliseconds(1); break;
                case "attempt-timeout-too-long": options.AttemptTimeout = TimeSpan.FromDays(2); break;
                case "retry-after-too-long": options.MaxRetryAfter = TimeSpan.FromDays(60); break;
                case "backoff-too-long": options.MaxBackoff = TimeSpan.FromDays(2); break;
                case "break-too-long": options.CircuitBreakerBreakDuration = TimeSpan.FromDays(2); break;
            }
        }));

        Assert.Single(failure.Failures);
    }

    [Fact]
    public void Options_Defaults_WithAnHttpsAddress_Accepted()
    {
        var options = Read(_ => { });

        Assert.Equal(new Uri("https://bank.example/"), options.BaseAddress);
    }

    [Fact]
    public void Registration_DefaultPrimaryHandler_ReplacesPooledConnections()
    {
        // The client is resolved once and kept: only the connection pool's own lifetime renews its connections.
        var services = new ServiceCollection();
        services.AddReliableMessagingClient(options => options.BaseAddress = new Uri("https://bank.example/"));
        using var provider = services.BuildServiceProvider();

        HttpMessageHandler handler = provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(nameof(ReliableMessagingClient));
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler!;
        }

        var primary = Assert.IsType<SocketsHttpHandler>(handler);
        Assert.Equal(ReliableMessagingClientServiceCollectionExtensions.PooledConnectionLifetime, primary.PooledConnectionLifetime);
    }

    private static ReliableMessagingClientOptions Read(Action<ReliableMessagingClientOptions> change)
    {
        var services = new ServiceCollection();
        services.AddReliableMessagingClient(options =>
        {
            options.BaseAddress = new Uri("https://bank.example/");
            change(options);
        });
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ReliableMessagingClientOptions>>().Value;
    }
}
