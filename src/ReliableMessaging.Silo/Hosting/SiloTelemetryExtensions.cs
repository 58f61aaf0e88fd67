using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Silo.Hosting;

/// <summary>
/// The silo's OpenTelemetry: Orleans' and the project's meters and Npgsql's, traces of grain calls
/// (propagated from the front end) down to the PostgreSQL commands; a Prometheus scrape endpoint on
/// its own port when <c>Telemetry:PrometheusPort</c> is set (loopback unless <c>Telemetry:PrometheusHost</c>
/// says otherwise), and OTLP when an endpoint is configured.
/// </summary>
public static class SiloTelemetryExtensions
{
    public const string ServiceName = "reliablemessaging-silo";

    public static IHostApplicationBuilder AddSiloTelemetry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.ReadAtBuildTime<TelemetryOptions>(TelemetryOptions.SectionName);
        if (!options.Enabled)
        {
            return builder;
        }

        var otlp = OtlpConfigured(builder.Configuration, options);
        AccountMetrics.Create();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(TelemetryNames.AccountsMeter, TelemetryNames.OrleansMeter).AddNpgsqlInstrumentation();
                if (options.PrometheusPort is { } port)
                {
                    metrics.AddPrometheusHttpListener(listener =>
                    {
                        listener.Host = options.PrometheusHost;
                        listener.Port = port;
                    });
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter(exporter => exporter.Endpoint = options.OtlpEndpoint ?? exporter.Endpoint);
                }
            });

        // Spans only where they go somewhere: without a collector, recording them would be pure cost.
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource([.. TelemetryNames.OrleansActivitySources])
                .AddNpgsql()
                .AddOtlpExporter(exporter => exporter.Endpoint = options.OtlpEndpoint ?? exporter.Endpoint));
        }

        return builder;
    }

    /// <summary>OTLP only when a collector is named (our setting or the standard variable): no exporter retrying against nothing.</summary>
    public static bool OtlpConfigured(IConfiguration configuration, TelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        return options.OtlpEndpoint is not null || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
    }
}
