using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using ReliableMessaging.Api.Accounts;
using ReliableMessaging.Api.Problems;

namespace ReliableMessaging.Api.Security;

/// <summary>
/// Per-identity token buckets (System.Threading.RateLimiting, partitioned by the caller ID). A
/// request is refused with 429 <c>rate-limited</c> and <c>Retry-After</c> when the caller's bucket is
/// empty; it is charged one permit only AFTER it was answered. An answer that is a replay
/// (<c>Idempotent-Replayed: true</c>) is charged to the caller's replay bucket instead: retrying an
/// operation that already ran never spends the caller's budget for new requests (it costs no write
/// and changes nothing), but it may cost a journal read, so replays sent without end are refused too,
/// once that bucket is empty. A caller with either bucket empty is refused, whatever it sends, until
/// it refills (the limit cannot know before the answer whether a request is a replay): replays that
/// empty their bucket also hold back new requests, until its next refill (every second).
/// It is a middleware, after authorization and before the request is read, for the endpoints
/// <see cref="RateLimitedEndpoint"/> marks: a request the framework refuses while reading or binding it
/// (a body that is not JSON, 413, 415) never reaches an endpoint filter, and uncharged a caller could
/// send those without limit.
/// Requests in flight hold a reservation against the requests' bucket until they are answered, so a
/// burst of concurrent requests cannot all pass the check before any of them is charged (concurrent
/// replays may pass their own bucket's check together, at most as many as the requests' bucket lets through).
/// </summary>
internal sealed class RateLimitMiddleware : IMiddleware, IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly PartitionedRateLimiter<string>? _replays;
    private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);

    public RateLimitMiddleware(IOptions<RateLimitOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        if (settings.PermitsPerSecond > 0)
        {
            _limiter = Buckets(settings.PermitsPerSecond, settings.Burst);
            _replays = settings.ReplaysPerSecond > 0 ? Buckets(settings.ReplaysPerSecond, settings.ReplayBurst) : null;
        }
    }

    private static PartitionedRateLimiter<string> Buckets(int perSecond, int burst) =>
        PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            AutoReplenishment = true,
            QueueLimit = 0,
        }));

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.GetEndpoint()?.Metadata.GetMetadata<RateLimitedEndpoint>() is null)
        {
            await next(context);
            return;
        }

        if (await LimitAsync(context, async () =>
            {
                await next(context);
                return null;
            }) is IResult refusal)
        {
            await refusal.ExecuteAsync(context);
        }
    }

    /// <summary>
    /// Refuses the request (the 429 to write), or runs <paramref name="next"/> and charges the caller
    /// once it was answered (or ended in an exception): <paramref name="next"/>'s result otherwise.
    /// </summary>
    internal async ValueTask<object?> LimitAsync(HttpContext http, Func<ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(next);
        if (_limiter is null || CallerOf(http) is not { } caller)
        {
            return await next();
        }

        // Reserve first, then look without taking (a zero-permit acquire is not a reliable probe in every
        // package version): the caller's other requests in flight count against what the bucket holds.
        var ahead = _inFlight.AddOrUpdate(caller, 1, static (_, count) => count + 1) - 1;
        var answered = false; // false when the request ends in an exception
        try
        {
            if (IsEmpty(_limiter, caller, ahead))
            {
                // The bucket refills every second.
                http.Response.Headers.RetryAfter = "1";
                answered = true;
                return ApiProblem.RateLimited.ToResult($"Caller '{caller}' sent more requests than its limit allows. Retry after 1 s; answers that are replays count in a bucket of their own.");
            }

            // Without the reservations: the requests in flight are charged to one bucket or the other,
            // and counted against both a caller's new requests alone would empty a smaller replay bucket.
            if (_replays is not null && IsEmpty(_replays, caller, ahead: 0))
            {
                http.Response.Headers.RetryAfter = "1";
                answered = true;
                return ApiProblem.RateLimited.ToResult($"Caller '{caller}' sent more replays of recorded operations than its limit allows. Retry after 1 s.");
            }

            var result = await next();
            answered = true;

            // Charged after the answer (its reservation ends just after); when the bucket was drained meanwhile, the next request waits.
            var replayed = http.Response.Headers[IdempotencyKey.ReplayedHeaderName] == "true";
            (replayed ? _replays : _limiter)?.AttemptAcquire(caller, 1).Dispose();
            return result;
        }
        finally
        {
            if (_inFlight.AddOrUpdate(caller, 0, static (_, count) => count - 1) == 0)
            {
                // Only if still 0: a request that reserved meanwhile keeps its entry.
                _inFlight.TryRemove(new KeyValuePair<string, int>(caller, 0));
            }

            if (!answered)
            {
                // A request that ended in an exception (a 500) cost the service as much as any other:
                // free, it could be repeated without limit. (After the reservation ends, so that a
                // limiter failing here cannot leave the caller's reservation behind.)
                _limiter.AttemptAcquire(caller, 1).Dispose();
            }
        }
    }

    /// <summary>True when the caller's bucket holds no permit beyond those its <paramref name="ahead"/> requests in flight have reserved.</summary>
    private static bool IsEmpty(PartitionedRateLimiter<string> buckets, string caller, int ahead) =>
        buckets.GetStatistics(caller) is { } statistics && statistics.CurrentAvailablePermits - ahead <= 0;

    /// <summary>
    /// The bucket a request is charged to: its caller's; one shared by every token that names no caller
    /// (no sub, client_id or azp: the limit must not fail open on a claim the API does not require);
    /// none for a request without a token (anonymous endpoints: health, the token-free ones).
    /// </summary>
    private static string? CallerOf(HttpContext http) =>
        ApiClaims.CallerId(http.User) ?? (http.User.Identity?.IsAuthenticated == true ? UnnamedCaller : null);

    /// <summary>The shared bucket of tokens without a caller claim (a value no claim can take: it has no subject syntax).</summary>
    internal const string UnnamedCaller = "(a token without sub, client_id or azp)";

    public void Dispose()
    {
        _limiter?.Dispose();
        _replays?.Dispose();
    }
}
