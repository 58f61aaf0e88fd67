using System.Diagnostics;
using System.Net;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Api.Hosting;

/// <summary>
/// The front end's OpenTelemetry: ASP.NET Core, Orleans' and the project's meters, served at
/// <c>/metrics</c> in the Prometheus format to callers on this host (others only with
/// <c>Telemetry:AllowRemoteScrape</c>); traces of each request through the Orleans call (activity
/// propagation continues them in the silo); OTLP when an endpoint is configured.
/// </summary>
public static class FrontEndTelemetryExtensions
{
    public const string ServiceName = "reliablemessaging-api";
    public const string ScrapePath = "/metrics";

    public static WebApplicationBuilder AddFrontEndTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.ReadAtBuildTime<TelemetryOptions>(TelemetryOptions.SectionName);
        var otlp = options.OtlpEndpoint is not null || !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Services.Configure<TelemetryOptions>(builder.Configuration.GetSection(TelemetryOptions.SectionName));

        // The edge: callers' trace headers are not continued unless a gateway in front is trusted to set
        // them, neither by ASP.NET Core (its propagator, from the container) nor by OpenTelemetry's
        // instrumentation (the SDK's default propagator, process-wide).
        if (!options.TrustIncomingTraceContext)
        {
            builder.Services.AddSingleton<DistributedContextPropagator>(new EdgeTraceContextPropagator(DistributedContextPropagator.CreateDefaultPropagator()));
            Sdk.SetDefaultTextMapPropagator(new EdgeTextMapPropagator(
                new CompositeTextMapPropagator([new TraceContextPropagator(), new BaggagePropagator()])));
        }

        if (!options.Enabled)
        {
            return builder;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddMeter(TelemetryNames.AccountsMeter, TelemetryNames.OrleansMeter)
                    // No response cache: a scrape always shows every measurement made before it (Prometheus scrapes seldom anyway).
                    .AddPrometheusExporter(exporter => exporter.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp)
                {
                    metrics.AddOtlpExporter(exporter => exporter.Endpoint = options.OtlpEndpoint ?? exporter.Endpoint);
                }
            });

        // Spans only where they go somewhere: without a collector, recording them would be pure cost.
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(instrumentation => instrumentation.Filter = context =>
                    !context.Request.Path.StartsWithSegments(ScrapePath) && !context.Request.Path.StartsWithSegments("/health"))
                .AddSource([.. TelemetryNames.OrleansActivitySources])
                .AddOtlpExporter(exporter => exporter.Endpoint = options.OtlpEndpoint ?? exporter.Endpoint));
        }

        return builder;
    }

    public static WebApplication MapFrontEndTelemetry(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Configuration.ReadAtBuildTime<TelemetryOptions>(TelemetryOptions.SectionName);
        if (!options.Enabled)
        {
            return app;
        }

        var allowRemote = options.AllowRemoteScrape;
        // Anyone else falls through to the API, whose fallback policy refuses an unauthenticated
        // caller (401) before any route is looked at: the metrics show the service's traffic patterns,
        // not for the open internet. A reverse proxy on the same host makes every caller look local.
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
            context.Request.Path == ScrapePath && (allowRemote || IsThisHost(context.Connection.RemoteIpAddress, context.Connection.LocalIpAddress)));
        return app;
    }

    // In-process callers (tests, Unix sockets) have no address.
    private static bool IsThisHost(IPAddress? remote, IPAddress? local) =>
        remote is null || IPAddress.IsLoopback(remote) || remote.Equals(local);
}
