using Microsoft.Extensions.DependencyInjection;
using ReliableMessaging.Client;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Api.Tests.Client;

/// <summary>The client library registered as an application would, talking to the real front end in memory through <see cref="WireFaults"/>.</summary>
public sealed class ClientHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public ClientHarness(FrontEndFactory frontEnd, Action<ReliableMessagingClientOptions>? configure = null, string pathSuffix = "/withdrawals")
    {
        ArgumentNullException.ThrowIfNull(frontEnd);
        Wire = new WireFaults { PathSuffix = pathSuffix };
        var services = new ServiceCollection();
        services.AddSingleton<IReliableMessagingObserver>(Observer);
        services.AddReliableMessagingClient(options =>
            {
                options.BaseAddress = new Uri("http://localhost/");
                options.AttemptTimeout = TimeSpan.FromSeconds(5);
                options.FirstBackoff = TimeSpan.FromMilliseconds(10);
                options.MaxBackoff = TimeSpan.FromMilliseconds(50);
                // The front end wants a bearer token; a test may bring its own provider.
                options.AccessTokenProvider = _ => ValueTask.FromResult<string?>(FrontEndFactory.FullAccessToken);
                configure?.Invoke(options);
            })
            .ConfigurePrimaryHttpMessageHandler(frontEnd.Server.CreateHandler)
            .AddHttpMessageHandler(() => Wire);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        Client = _services.GetRequiredService<ReliableMessagingClient>();
    }

    public ReliableMessagingClient Client { get; }

    public WireFaults Wire { get; }

    public RecordingObserver Observer { get; } = new();

    /// <summary>An open account holding <paramref name="balance"/>.</summary>
    public async Task<string> OpenWithBalanceAsync(long balance)
    {
        var accountId = Http.NewAccountId();
        var opened = await Client.OpenAccountAsync(accountId);
        // Created, or already open when a slow first attempt timed out and its retry found it open.
        Assert.True(opened.Succeeded, opened.Detail);
        if (balance > 0)
        {
            var deposit = await Client.DepositAsync(accountId, balance);
            Assert.Equal(OutcomeKind.Succeeded, deposit.Kind);
        }

        return accountId;
    }

    /// <summary>The account's balance as the client reads it (the account must exist).</summary>
    public async Task<long> BalanceAsync(string accountId)
    {
        var read = await Client.GetAccountAsync(accountId);
        Assert.True(read.Succeeded, read.Detail);
        return read.Account!.Balance;
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
