using System.Diagnostics;

namespace ReliableMessaging.Api.Hosting;

/// <summary>
/// What ASP.NET Core reads from a request's trace headers at the service's edge: nothing. A caller's
/// <c>traceparent</c> would otherwise become the parent of the request's trace (its sampled flag
/// deciding, under a parent-based sampler, whether the service records it: a caller could have every
/// request traced, or none), and its <c>baggage</c> would travel with every grain call the request
/// makes. Each request starts a trace of its own instead. Outgoing headers are written as by
/// <paramref name="inner"/>. <c>Telemetry:TrustIncomingTraceContext</c> turns this off behind a
/// gateway that starts the traces itself.
/// </summary>
public sealed class EdgeTraceContextPropagator(DistributedContextPropagator inner) : DistributedContextPropagator
{
    public override IReadOnlyCollection<string> Fields => inner.Fields;

    public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter) =>
        inner.Inject(activity, carrier, setter);

    public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState)
    {
        traceId = null;
        traceState = null;
    }

    public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter) => null;
}
