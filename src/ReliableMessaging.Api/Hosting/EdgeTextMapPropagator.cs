using OpenTelemetry.Context.Propagation;

namespace ReliableMessaging.Api.Hosting;

/// <summary>
/// OpenTelemetry's side of <see cref="EdgeTraceContextPropagator"/>: its ASP.NET Core instrumentation
/// reads a request's headers again with the SDK's default propagator (any but a plain trace-context
/// one) and, finding a caller's <c>traceparent</c>, starts a span under it and sets the caller's
/// baggage as current. Extracting nothing keeps the request's own trace. Injection is
/// <paramref name="inner"/>'s.
/// </summary>
public sealed class EdgeTextMapPropagator(TextMapPropagator inner) : TextMapPropagator
{
    public override ISet<string>? Fields => inner.Fields;

    public override PropagationContext Extract<T>(PropagationContext context, T carrier, Func<T, string, IEnumerable<string>?> getter) => context;

    public override void Inject<T>(PropagationContext context, T carrier, Action<T, string, string> setter) =>
        inner.Inject(context, carrier, setter);
}
