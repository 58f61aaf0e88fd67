namespace ReliableMessaging.Client;

/// <summary>Settings of <see cref="ReliableMessagingClient"/> (configuration section <see cref="SectionName"/>).</summary>
public sealed class ReliableMessagingClientOptions
{
    public const string SectionName = "ReliableMessaging:Client";

    /// <summary>The front end, e.g. <c>http://localhost:5080/</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// How long one HTTP attempt may take before it counts as unanswered and is retried. Longer than
    /// the front end's own deadline for a grain call (<c>Orleans:ResponseTimeout</c>, 5 s): a call
    /// that reached a stalled silo is then answered 503 with <c>Retry-After</c>, instead of being cut
    /// off while it still runs and sent again through the same stalled path. Reading the answer's body
    /// (and getting the access token) may take 1 s more.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per call before it ends unanswered (and, for keyed POSTs, is looked up).</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>Pause before the first retry; doubles per attempt (with jitter) up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest pause between attempts, unless the server's Retry-After asks for longer.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The longest Retry-After honoured; a server asking for more waits this long (a bound against a broken
    /// header), plus up to a fifth of it as jitter, as every wait on Retry-After is spread.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// After the last attempt of a keyed POST got no answer, ask the operations (or transfers) endpoint
    /// what happened: the recorded outcome, or "not run so far". Off for callers that reconcile later themselves.
    /// </summary>
    public bool ResolveUnanswered { get; set; } = true;

    /// <summary>Share of failed attempts (5xx, timeouts, connection failures) within <see cref="CircuitBreakerSamplingDuration"/> that opens the breaker.</summary>
    public double CircuitBreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts within the sampling window before the breaker may open.</summary>
    public int CircuitBreakerMinimumThroughput { get; set; } = 20;

    /// <summary>The window over which the failure ratio is measured.</summary>
    public TimeSpan CircuitBreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open breaker refuses attempts (they fail at once and are retried after the backoff).</summary>
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Bearer token for each attempt (asked again per attempt, so a refreshed token is picked up);
    /// null or empty sends no Authorization header.
    /// </summary>
    public Func<CancellationToken, ValueTask<string?>>? AccessTokenProvider { get; set; }

    /// <summary>
    /// Told the token the service refused (401: expired since it was issued, or its signing key rotated),
    /// before the attempt is sent again, once per call, with <see cref="AccessTokenProvider"/>'s next
    /// token: a provider that caches tokens drops that one here. A 401 runs nothing (the token is checked
    /// before the request is read), so sending again is safe; a second 401 in the call is its answer.
    /// </summary>
    public Func<string, CancellationToken, ValueTask>? AccessTokenRefused { get; set; }

    /// <summary>The clock behind backoff waits (a fake one in tests).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
