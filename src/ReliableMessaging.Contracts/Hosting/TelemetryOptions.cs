namespace ReliableMessaging.Contracts.Hosting;

/// <summary>Telemetry settings of the silo and the front end (section <c>Telemetry</c>).</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>
    /// On by default. Off removes the project's metrics, the Prometheus endpoints, trace propagation and
    /// the grain-call telemetry filter, so the benchmark can show what telemetry costs side by side; a
    /// production deployment keeps it on.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// OTLP collector for traces and metrics (e.g. <c>http://collector:4317</c>); none by default. The
    /// standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable turns it on as well.
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>Front end: serve <c>/metrics</c> to callers beyond this host too (behind a trusted network or proxy only).</summary>
    public bool AllowRemoteScrape { get; set; }

    /// <summary>
    /// Front end: continue a request's incoming W3C <c>traceparent</c> and <c>baggage</c> (behind a
    /// gateway that starts the traces and drops callers' own headers only). Off by default: each
    /// request starts its own trace, so a caller decides neither whether it is sampled nor what rides
    /// along with its grain calls.
    /// </summary>
    public bool TrustIncomingTraceContext { get; set; }

    /// <summary>Silo: the port of its own Prometheus scrape endpoint (<c>http://host:port/metrics</c>); none when unset.</summary>
    public int? PrometheusPort { get; set; }

    /// <summary>
    /// Silo: the one address its scrape endpoint listens on and answers for; loopback unless configured
    /// (in docker-compose.yml, the silo's own address on its network).
    /// </summary>
    public string PrometheusHost { get; set; } = "127.0.0.1";
}
