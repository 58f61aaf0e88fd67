using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace ReliableMessaging.Api.Security;

/// <summary>Bearer authentication, scope policies and the per-caller rate limit.</summary>
public static class SecurityHostingExtensions
{
    public static AuthenticationBuilder AddApiSecurity(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ApiAuthOptions>().BindConfiguration(ApiAuthOptions.SectionName, binder => binder.ErrorOnUnknownConfiguration = true).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiAuthOptions>, ApiAuthOptionsValidator>();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName, binder => binder.ErrorOnUnknownConfiguration = true).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>, JwtBearerSetup>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        services.AddSingleton<RateLimitMiddleware>();
        services.AddSingleton<AccountAccessFilter>();
        services.AddSingleton<CallerIdentityFilter>();

        var authorization = services.AddAuthorizationBuilder()
            // Any endpoint that names no policy still needs a valid token: a new endpoint is closed by default.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        foreach (var scope in ApiScopes.All)
        {
            authorization.AddPolicy(scope, policy => policy.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope)));
        }

        return services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
    }

    /// <summary>What every API group gets: the rate limit (<see cref="UseRateLimit"/>), then the caller's identity for the grains.</summary>
    public static RouteGroupBuilder WithCallerFilters(this RouteGroupBuilder group) =>
        group.WithMetadata(RateLimitedEndpoint.Instance).AddSharedFilter<CallerIdentityFilter>();

    /// <summary>
    /// The per-caller rate limit, for the endpoints <see cref="WithCallerFilters"/> marks: after
    /// authorization (it needs the caller) and before anything reads the request, so that requests
    /// refused while their body or headers are read are limited and charged like any other.
    /// </summary>
    public static WebApplication UseRateLimit(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<RateLimitMiddleware>();
        return app;
    }

    /// <summary>
    /// The singleton filter instance for every endpoint (AddEndpointFilter&lt;T&gt; would make one per
    /// endpoint; a filter holding per-caller state must be one across all of them).
    /// </summary>
    public static RouteGroupBuilder AddSharedFilter<TFilter>(this RouteGroupBuilder group)
        where TFilter : IEndpointFilter
    {
        ArgumentNullException.ThrowIfNull(group);
        return group.AddEndpointFilterFactory((factory, next) =>
        {
            var filter = factory.ApplicationServices.GetRequiredService<TFilter>();
            return invocation => filter.InvokeAsync(invocation, next);
        });
    }
}
