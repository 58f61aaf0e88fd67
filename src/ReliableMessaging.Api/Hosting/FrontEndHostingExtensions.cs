using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using ReliableMessaging.Api.Accounts;
using ReliableMessaging.Api.Dashboard;
using ReliableMessaging.Api.Problems;
using ReliableMessaging.Api.Security;
using ReliableMessaging.Api.Transfers;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Api.Hosting;

/// <summary>Wires the front end: Orleans client, problem details, OpenAPI, health, dashboard.</summary>
public static class FrontEndHostingExtensions
{
    public static WebApplicationBuilder AddFrontEnd(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var connectionString = configuration.GetConnectionString(ClusterDatabase.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new SettingsException(
                $"ConnectionStrings:{ClusterDatabase.ConnectionStringName} is not set (appsettings.json or ConnectionStrings__{ClusterDatabase.ConnectionStringName}).");
        }

        // Read here, at start, rather than first by the cluster client after its connect retries.
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException exception)
        {
            throw new SettingsException($"ConnectionStrings:{ClusterDatabase.ConnectionStringName} cannot be read: {exception.Message}", exception);
        }

        builder.Services.AddOptions<FrontEndOptions>().BindConfiguration(FrontEndOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.UseOrleansClient(client =>
        {
            client.UseAdoNetClustering(options =>
            {
                options.Invariant = ClusterDatabase.Invariant;
                options.ConnectionString = connectionString;
            });
            client.Services.AddOptions<ClusterOptions>().Configure<IOptions<FrontEndOptions>>((cluster, frontEnd) =>
            {
                cluster.ClusterId = frontEnd.Value.ClusterId;
                cluster.ServiceId = frontEnd.Value.ServiceId;
            });
            client.Services.AddOptions<ClientMessagingOptions>().Configure<IOptions<FrontEndOptions>>((messaging, frontEnd) =>
                messaging.ResponseTimeout = frontEnd.Value.ResponseTimeout);
            client.UseConnectionRetryFilter<ClusterConnectRetryFilter>();
            client.UseClusterTls(configuration.ReadAtBuildTime<ClusterTlsOptions>(ClusterTlsOptions.SectionName));
            client.AddDashboard(options => options.HideTrace = true);
            if (configuration.ReadAtBuildTime<TelemetryOptions>(TelemetryOptions.SectionName).Enabled)
            {
                client.AddActivityPropagation();
            }
        });
        builder.AddFrontEndTelemetry();

        var services = builder.Services;
        services.AddProblemDetails(options => options.CustomizeProblemDetails = ApiProblemDetails.Customize);
        services.AddRequestBinding();
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "ReliableMessaging API";
            document.Info.Description = OpenApiDescription.Text;
            // No server named after the request's Host: the one cached copy serves every caller, and
            // a reader resolves the paths against the address it fetched the document from.
            document.Servers?.Clear();
            return Task.CompletedTask;
        })
            .AddOperationTransformer<IdempotencyKeyOperationTransformer>()
            .AddDocumentTransformer<BearerOpenApiTransformer>()
            .AddOperationTransformer<BearerOpenApiTransformer>());
        services.AddOutputCache();
        services.TryAddSingleton(TimeProvider.System);
        // One instance, so that probes close together share one look at the cluster.
        services.AddSingleton<ClusterHealthCheck>();
        services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);

        services.AddDashboardAccessOptions();
        services.AddSingleton<DashboardLoginThrottle>();
        services.AddApiSecurity()
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(DashboardEndpoints.PolicyName, policy => policy
                .AddAuthenticationSchemes(BasicAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser());
        return builder;
    }

    public static WebApplication MapFrontEnd(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.MapFrontEndTelemetry();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        // Only endpoints that ask for it (the OpenAPI document) are cached.
        app.UseOutputCache();
        app.UseRateLimit();
        app.UseRequestSizeLimitFallback();
        app.UseJsonCharsetCheck();

        // Anonymous on purpose: the API's description, its reference page and the probes of
        // orchestrators carry no data.
        app.MapOpenApi().AllowAnonymous().CacheOutput(new OpenApiDocumentCachePolicy());
        app.MapApiReference();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous();
        app.MapAccountsApi();
        app.MapTransfersApi();
        app.MapProtectedDashboard();
        return app;
    }

    /// <summary>The dashboard's operator account, bound strictly and checked at start.</summary>
    internal static IServiceCollection AddDashboardAccessOptions(this IServiceCollection services)
    {
        services.AddOptions<DashboardAccessOptions>()
            .BindConfiguration(DashboardAccessOptions.SectionName, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return services;
    }
}
