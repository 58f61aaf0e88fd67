using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace ReliableMessaging.Client;

public static class ReliableMessagingClientServiceCollectionExtensions
{
    /// <summary>How long the default primary handler keeps a pooled connection.</summary>
    public static readonly TimeSpan PooledConnectionLifetime = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The largest answer the client reads (1 MiB; the API's are under a kilobyte). A larger one (a
    /// misbehaving gateway's) fails its attempt like a lost connection instead of filling the process's memory.
    /// </summary>
    public const int MaxResponseBytes = 1024 * 1024;

    /// <summary>
    /// Registers <see cref="ReliableMessagingClient"/> as a typed client of <c>IHttpClientFactory</c>,
    /// with options bound from <see cref="ReliableMessagingClientOptions.SectionName"/> and then
    /// <paramref name="configure"/>. Each attempt passes the bearer-token handler, then a resilience
    /// pipeline (circuit breaker, then the per-attempt timeout): the breaker only for first attempts,
    /// not for retries and look-ups (<see cref="AttemptPipelines"/>). Retries are the client's own: they
    /// keep the operation's key and honour Retry-After. The returned builder can add handlers that
    /// sit closer to the network (e.g. a test's fault injection) or replace the primary handler.
    /// </summary>
    public static IHttpClientBuilder AddReliableMessagingClient(this IServiceCollection services, Action<ReliableMessagingClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        // Bound from configuration when the application has one (a host); a console tool without one configures in code.
        var options = services.AddOptions<ReliableMessagingClientOptions>()
            .Configure<IServiceProvider>((settings, provider) => provider.GetService<IConfiguration>()?.GetSection(ReliableMessagingClientOptions.SectionName).Bind(settings));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options
            .Validate(o => o.BaseAddress is { IsAbsoluteUri: true, Scheme: "http" or "https" }, "ReliableMessaging:Client:BaseAddress must be an absolute http(s) URL.")
            // The resilience pipeline's timeout takes 10 ms to 1 day; a value past it would fail the first request instead of the start.
            .Validate(o => o.AttemptTimeout >= TimeSpan.FromMilliseconds(10) && o.AttemptTimeout <= TimeSpan.FromDays(1) && o.MaxAttempts >= 1,
                "AttemptTimeout must be from 10 ms to 1 day and MaxAttempts at least 1.")
            .Validate(o => o.FirstBackoff >= TimeSpan.Zero && o.MaxBackoff >= o.FirstBackoff && o.MaxBackoff <= TimeSpan.FromDays(1)
                && o.MaxRetryAfter >= TimeSpan.Zero && o.MaxRetryAfter <= TimeSpan.FromDays(1),
                "Backoffs must be from 0 to 1 day, MaxBackoff at least FirstBackoff, MaxRetryAfter at most 1 day.")
            .Validate(o => o.CircuitBreakerFailureRatio is > 0 and <= 1 && o.CircuitBreakerMinimumThroughput >= 2
                && o.CircuitBreakerSamplingDuration >= TimeSpan.FromMilliseconds(500) && o.CircuitBreakerSamplingDuration <= TimeSpan.FromDays(1)
                && o.CircuitBreakerBreakDuration >= TimeSpan.FromMilliseconds(500) && o.CircuitBreakerBreakDuration <= TimeSpan.FromDays(1),
                "Circuit breaker: ratio in (0, 1], minimum throughput at least 2, durations from 500 ms to 1 day.")
            .ValidateOnStart();

        services.AddTransient<BearerTokenHandler>();
        var builder = services.AddHttpClient<ReliableMessagingClient>((provider, http) =>
        {
            var settings = provider.GetRequiredService<IOptions<ReliableMessagingClientOptions>>().Value;
            // The API's routes are relative ("accounts/..."): a base address without its trailing slash would drop its last segment.
            var address = settings.BaseAddress!.AbsoluteUri;
            http.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
            // Each attempt has its own deadline; the client as a whole is bounded by its attempts and the caller's token.
            http.Timeout = Timeout.InfiniteTimeSpan;
            http.MaxResponseContentBufferSize = MaxResponseBytes;
        });
        // Applications resolve the client once and keep it, so the factory's handler rotation never
        // reaches it: pooled connections are replaced instead, and a front end that moved (DNS, a
        // restarted instance behind a balancer) is found again.
        builder.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = PooledConnectionLifetime });
        builder.AddHttpMessageHandler<BearerTokenHandler>();
        builder.AddResilienceHandler("reliable-messaging", (pipeline, context) =>
        {
            var settings = context.ServiceProvider.GetRequiredService<IOptions<ReliableMessagingClientOptions>>().Value;
            if (context.InstanceName == AttemptPipelines.FirstAttempts)
            {
                AddCircuitBreaker(pipeline, settings);
            }

            pipeline.AddTimeout(settings.AttemptTimeout);
        })
        // Two instances of the pipeline: first attempts pass the circuit breaker, retries and look-ups do not.
        .SelectPipelineBy(_ => AttemptPipelines.Select);
        return builder;
    }

    private static void AddCircuitBreaker(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, ReliableMessagingClientOptions settings) =>
        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = settings.CircuitBreakerFailureRatio,
            MinimumThroughput = settings.CircuitBreakerMinimumThroughput,
            SamplingDuration = settings.CircuitBreakerSamplingDuration,
            BreakDuration = settings.CircuitBreakerBreakDuration,
            // The service's health, not one account's: 429 (too many pending transfers on one account) does not count.
            ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
            {
                { Exception: HttpRequestException or TimeoutRejectedException } => true,
                { Result: { } response } => (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.RequestTimeout,
                _ => false,
            }),
        });
}
