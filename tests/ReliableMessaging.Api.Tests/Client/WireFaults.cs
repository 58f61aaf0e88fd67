using System.Collections.Concurrent;
using System.Diagnostics;

namespace ReliableMessaging.Api.Tests.Client;

/// <summary>
/// Sits between the client's resilience pipeline and the front end: records every attempt (its
/// Idempotency-Key, Authorization header and start time) and loses answers on request: after the
/// server answered (so the work is committed), or before the request is sent (so it never ran).
/// </summary>
public sealed class WireFaults : DelegatingHandler
{
    private readonly ConcurrentQueue<WireAttempt> _attempts = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _dropResponses;
    private int _hangResponses;
    private int _refuseRequests;
    private int _failAfterServer;
    private int _failBeforeServer;
    private int _garbleResponses;
    private int _throwAfterServer;
    private int _replaceResponses;
    private Func<HttpResponseMessage>? _replacement;
    private CancellationTokenSource? _cancelThenTimeOut;
    private CancellationTokenSource? _cancelWhenHanging;
    private volatile string? _refusedAccount;

    /// <summary>Only requests whose path ends with this are faulted (e.g. "/withdrawals").</summary>
    public string PathSuffix { get; init; } = "/withdrawals";

    public IReadOnlyList<WireAttempt> Attempts => [.. _attempts];

    /// <summary>The next <paramref name="count"/> matching requests reach the server, which answers; the answer is then lost (connection reset).</summary>
    public void DropResponses(int count) => Volatile.Write(ref _dropResponses, count);

    /// <summary>
    /// The next <paramref name="count"/> matching requests reach the server; the answer then never arrives
    /// (until the attempt's deadline). <paramref name="cancelWhenHanging"/>, when given, is cancelled as
    /// the first answer starts to hang: a caller's deadline that fires after the work committed, whatever
    /// the time the server took.
    /// </summary>
    public void HangResponses(int count, CancellationTokenSource? cancelWhenHanging = null)
    {
        _cancelWhenHanging = cancelWhenHanging;
        Volatile.Write(ref _hangResponses, count);
    }

    /// <summary>The next <paramref name="count"/> matching requests fail before they are sent.</summary>
    public void RefuseRequests(int count) => Volatile.Write(ref _refuseRequests, count);

    /// <summary>The next <paramref name="count"/> matching requests reach the server, which answers; that answer is replaced by a 500 <c>internal-error</c> (an error after the work committed).</summary>
    public void ServerErrorAfterServer(int count) => Volatile.Write(ref _failAfterServer, count);

    /// <summary>The next <paramref name="count"/> matching requests are answered 500 <c>internal-error</c> without reaching the server (an error before the work ran).</summary>
    public void ServerErrorBeforeServer(int count) => Volatile.Write(ref _failBeforeServer, count);

    /// <summary>
    /// Every request about this account (its operations and look-ups too, whatever <see cref="PathSuffix"/>)
    /// fails before it is sent, from now on: an account on a silo that stalls, while the others work.
    /// </summary>
    public void RefuseAccount(string accountId) => _refusedAccount = "/accounts/" + Uri.EscapeDataString(accountId);

    /// <summary>The next <paramref name="count"/> matching requests reach the server, which answers; then a handler throws an exception nobody expects (an application's handler with a bug).</summary>
    public void ThrowAfterServer(int count) => Volatile.Write(ref _throwAfterServer, count);

    /// <summary>The next <paramref name="count"/> matching requests reach the server, which answers; the answer arrives as a 200 whose body is not the API's (a middlebox's page).</summary>
    public void GarbleResponses(int count) => Volatile.Write(ref _garbleResponses, count);

    /// <summary>The next <paramref name="count"/> matching requests reach the server, which answers; that answer is replaced by <paramref name="replacement"/>'s (a middlebox's).</summary>
    public void ReplaceResponses(int count, Func<HttpResponseMessage> replacement)
    {
        _replacement = replacement;
        Volatile.Write(ref _replaceResponses, count);
    }

    /// <summary>The next <paramref name="count"/> matching requests reach the server, which answers; that answer is replaced by a 200 with <paramref name="json"/> (a middlebox's or a broken server's).</summary>
    public void ReplaceResponsesWithJson(int count, string json) =>
        ReplaceResponses(count, () => new HttpResponseMessage(System.Net.HttpStatusCode.OK)
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        });

    /// <summary>
    /// The next matching request reaches the server, which answers; then <paramref name="caller"/> is
    /// cancelled and the attempt fails as Polly's timeout does: the caller's deadline and the attempt's
    /// fire together, and the attempt's exception is the one that surfaces.
    /// </summary>
    public void CancelCallerThenTimeOut(CancellationTokenSource caller) => _cancelThenTimeOut = caller;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.Headers.TryGetValues("Idempotency-Key", out var keys) ? keys.Single() : null;
        var matches = request.RequestUri!.AbsolutePath.EndsWith(PathSuffix, StringComparison.Ordinal);
        _attempts.Enqueue(new WireAttempt(request.Method.Method, request.RequestUri.AbsolutePath, key, request.Headers.Authorization?.ToString(), _clock.Elapsed));
        if (_refusedAccount is { } refused && (request.RequestUri.AbsolutePath == refused || request.RequestUri.AbsolutePath.StartsWith(refused + "/", StringComparison.Ordinal)))
        {
            throw new HttpRequestException("Connection refused (injected: the account's silo stalls).");
        }

        if (matches && Take(ref _refuseRequests))
        {
            throw new HttpRequestException("Connection refused (injected before sending).");
        }

        if (matches && Take(ref _failBeforeServer))
        {
            return InternalError();
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (matches && Take(ref _failAfterServer))
        {
            response.Dispose();
            return InternalError();
        }

        if (matches && Take(ref _throwAfterServer))
        {
            response.Dispose();
            throw new InvalidOperationException("Injected: a handler failed after the server answered.");
        }

        if (matches && Take(ref _garbleResponses))
        {
            response.Dispose();
            return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent("<html>cached page</html>", System.Text.Encoding.UTF8, "text/html") };
        }

        if (matches && Take(ref _replaceResponses))
        {
            response.Dispose();
            return _replacement!();
        }

        if (matches && Interlocked.Exchange(ref _cancelThenTimeOut, null) is { } caller)
        {
            response.Dispose();
            await caller.CancelAsync();
            throw new Polly.Timeout.TimeoutRejectedException("Injected: the attempt timed out as the caller cancelled.");
        }

        if (matches && Take(ref _dropResponses))
        {
            response.Dispose();
            throw new HttpRequestException("Connection reset by peer (injected after the server answered).");
        }

        if (matches && Take(ref _hangResponses))
        {
            response.Dispose();
            if (Interlocked.Exchange(ref _cancelWhenHanging, null) is { } deadline)
            {
                await deadline.CancelAsync();
            }

            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }

        return response;
    }

    /// <summary>The front end's own answer to a bug (the exception handler's problem), not a retryable one.</summary>
    private static HttpResponseMessage InternalError() => new(System.Net.HttpStatusCode.InternalServerError)
    {
        Content = new StringContent(
            """{"type":"urn:reliable-messaging:problem:internal-error","title":"Internal error","status":500,"detail":"injected"}""",
            System.Text.Encoding.UTF8,
            "application/problem+json"),
    };

    private static bool Take(ref int counter)
    {
        int current;
        do
        {
            current = Volatile.Read(ref counter);
            if (current <= 0)
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref counter, current - 1, current) != current);

        return true;
    }
}
