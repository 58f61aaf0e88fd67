using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ReliableMessaging.Atm.Simulation;

namespace ReliableMessaging.Atm.Bank;

/// <summary>
/// The ATM's side of the HTTP API. Every call is retried with the same key and body after a
/// timeout, a refused connection or a 503, with capped exponential backoff, until it gets a final
/// answer or runs out of attempts: exactly what a real ATM does when it cannot tell whether the
/// bank executed its request.
/// </summary>
public sealed class BankClient : IDisposable
{
    private const string ProblemPrefix = "urn:reliable-messaging:problem:";
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);

    private readonly HttpClient _http;
    private readonly TimeSpan _attemptTimeout;
    private readonly int _maxAttempts;
    private readonly TimeSpan _maxBackoff;
    private readonly RunCounters _counters;

    public BankClient(Uri api, TimeSpan attemptTimeout, int maxAttempts, TimeSpan maxBackoff, RunCounters counters)
    {
        _http = new HttpClient(new SocketsHttpHandler
        {
            // A front end that does not accept the connection counts as a failed attempt, like a timeout.
            ConnectTimeout = attemptTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        })
        {
            BaseAddress = api,
            // Each attempt has its own deadline (see SendAsync); the client itself never gives up.
            Timeout = Timeout.InfiniteTimeSpan,
        };

        // The front end wants a bearer token (scripts/dev-token.sh, or `scripts/cluster.sh token`).
        if (Environment.GetEnvironmentVariable("RM_API_TOKEN") is { Length: > 0 } token)
        {
            _http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }
        _attemptTimeout = attemptTimeout;
        _maxAttempts = maxAttempts;
        _maxBackoff = maxBackoff;
        _counters = counters;
    }

    /// <summary>PUT /accounts/{id}: true once it is open (201 the first time, 200 after).</summary>
    public async Task<bool> OpenAccountAsync(string accountId, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Put, $"accounts/{accountId}"),
            (status, _, _) => status is HttpStatusCode.Created or HttpStatusCode.OK ? Final(true) : Final(false),
            isOperation: false,
            cancellationToken);
        return outcome.Result;
    }

    /// <summary>POST a deposit or withdrawal under its Idempotency-Key, retrying until it has an answer.</summary>
    public async Task<OperationAnswer> PostOperationAsync(OperationIntent intent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var body = string.Create(CultureInfo.InvariantCulture, $"{{\"amount\":{intent.Amount}}}");
        var outcome = await SendAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, intent.Path)
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("Idempotency-Key", intent.OperationId.ToString());
                return request;
            },
            (status, text, replayed) => Final(ClassifyOperationAnswer(intent, status, text, replayed)),
            isOperation: true,
            cancellationToken);
        return outcome.Result is { } answer
            ? answer with { Attempts = outcome.Attempts }
            : new OperationAnswer(AnswerKind.Unanswered, null, false, outcome.Attempts, 0, string.Empty, outcome.LastFailure);
    }

    /// <summary>
    /// POST /transfers under its Idempotency-Key (the transfer ID), retrying with the same key and body
    /// until it has an answer; 429 too-many-pending-transfers is retried after Retry-After like a 503.
    /// </summary>
    public async Task<TransferAnswer> PostTransferAsync(TransferIntent intent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var body = intent.Body;
        var outcome = await SendAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, "transfers")
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("Idempotency-Key", intent.TransferId.ToString());
                return request;
            },
            (status, text, replayed) => Final(ClassifyTransferAnswer(intent, status, text, replayed)),
            isOperation: true,
            cancellationToken);
        return outcome.Result is { } answer
            ? answer with { Attempts = outcome.Attempts }
            : new TransferAnswer(AnswerKind.Unanswered, null, false, outcome.Attempts, 0, string.Empty, outcome.LastFailure);
    }

    /// <summary>GET /transfers/{transferId}.</summary>
    public async Task<TransferLookup> GetTransferAsync(Guid transferId, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, $"transfers/{transferId}"),
            (status, text, _) => status switch
            {
                HttpStatusCode.OK => Final(ReadTransferLookup(text)),
                HttpStatusCode.NotFound when ProblemCode(text) == "transfer-not-found" => Final(new TransferLookup(LookupKind.NotFound, null, null, null, null, "404 transfer-not-found")),
                HttpStatusCode.Gone => Final(new TransferLookup(LookupKind.Expired, null, null, null, null, Describe(status, text))),
                _ => Final(new TransferLookup(LookupKind.Failed, null, null, null, null, Describe(status, text))),
            },
            isOperation: false,
            cancellationToken);
        return outcome.Result ?? new TransferLookup(LookupKind.Failed, null, null, null, null, outcome.LastFailure);
    }

    /// <summary>GET /accounts/{id}/operations/{operationId}.</summary>
    public async Task<OperationLookup> GetOperationAsync(string accountId, Guid operationId, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, $"accounts/{accountId}/operations/{operationId}"),
            (status, text, _) => status switch
            {
                HttpStatusCode.OK => Final(ReadLookup(text)),
                HttpStatusCode.NotFound when ProblemCode(text) == "operation-not-found" => Final(new OperationLookup(LookupKind.NotFound, null, null, null, null, "404 operation-not-found")),
                HttpStatusCode.Gone => Final(new OperationLookup(LookupKind.Expired, null, null, null, null, "410 idempotency-key-expired")),
                _ => Final(new OperationLookup(LookupKind.Failed, null, null, null, null, Describe(status, text))),
            },
            isOperation: false,
            cancellationToken);
        return outcome.Result ?? new OperationLookup(LookupKind.Failed, null, null, null, null, outcome.LastFailure);
    }

    /// <summary>GET /accounts/{id}: the committed balance, or null when it could not be read.</summary>
    public async Task<long?> GetBalanceAsync(string accountId, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, $"accounts/{accountId}"),
            (status, text, _) => status == HttpStatusCode.OK
                ? Final<long?>(ReadBalance(text))
                : Final<long?>(null),
            isOperation: false,
            cancellationToken);
        return outcome.Result;
    }

    /// <summary>GET /health/ready: true when the front end reaches an active silo.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_attemptTimeout);
        try
        {
            using var response = await _http.GetAsync(new Uri("health/ready", UriKind.Relative), timeout.Token);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();

    private static (bool Done, T? Result) Final<T>(T result) => (true, result);

    private static OperationAnswer ClassifyOperationAnswer(OperationIntent intent, HttpStatusCode status, string text, bool replayed)
    {
        switch (status)
        {
            case HttpStatusCode.OK:
                using (var document = JsonDocument.Parse(text))
                {
                    var root = document.RootElement;
                    var matches = root.GetProperty("operationId").GetGuid() == intent.OperationId
                        && root.GetProperty("kind").GetString() == intent.KindName
                        && root.GetProperty("amount").GetInt64() == intent.Amount
                        && root.GetProperty("status").GetString() == "succeeded";
                    return matches
                        ? new OperationAnswer(AnswerKind.Succeeded, root.GetProperty("balanceAfter").GetInt64(), replayed, 0, 200, text, "200 succeeded")
                        : new OperationAnswer(AnswerKind.Unexpected, null, replayed, 0, 200, text, "200 for another operation: " + text);
                }

            case HttpStatusCode.UnprocessableEntity when ProblemCode(text) == "insufficient-funds":
                using (var document = JsonDocument.Parse(text))
                {
                    var balance = document.RootElement.TryGetProperty("balance", out var value) ? value.GetInt64() : (long?)null;
                    return new OperationAnswer(AnswerKind.InsufficientFunds, balance, replayed, 0, 422, text, "422 insufficient-funds");
                }

            case HttpStatusCode.Conflict when ProblemCode(text) == "idempotency-key-expired":
                return new OperationAnswer(AnswerKind.Expired, null, replayed, 0, 409, text, "409 idempotency-key-expired");

            default:
                return new OperationAnswer(AnswerKind.Unexpected, null, replayed, 0, (int)status, text, Describe(status, text));
        }
    }

    private static TransferAnswer ClassifyTransferAnswer(TransferIntent intent, HttpStatusCode status, string text, bool replayed)
    {
        switch (status)
        {
            case HttpStatusCode.Accepted:
                using (var document = JsonDocument.Parse(text))
                {
                    var root = document.RootElement;
                    var matches = root.GetProperty("transferId").GetGuid() == intent.TransferId
                        && root.GetProperty("from").GetString() == intent.From
                        && root.GetProperty("to").GetString() == intent.To
                        && root.GetProperty("amount").GetInt64() == intent.Amount;
                    var transferStatus = root.GetProperty("status").GetString();
                    return matches
                        ? new TransferAnswer(AnswerKind.Succeeded, transferStatus, replayed, 0, 202, text, "202 " + transferStatus)
                        : new TransferAnswer(AnswerKind.Unexpected, transferStatus, replayed, 0, 202, text, "202 for another transfer: " + text);
                }

            case HttpStatusCode.UnprocessableEntity when ProblemCode(text) == "insufficient-funds":
                return new TransferAnswer(AnswerKind.InsufficientFunds, null, replayed, 0, 422, text, "422 insufficient-funds");

            case HttpStatusCode.Conflict when ProblemCode(text) == "idempotency-key-expired":
                return new TransferAnswer(AnswerKind.Expired, null, replayed, 0, 409, text, "409 idempotency-key-expired");

            default:
                return new TransferAnswer(AnswerKind.Unexpected, null, replayed, 0, (int)status, text, Describe(status, text));
        }
    }

    private static TransferLookup ReadTransferLookup(string text)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        return new TransferLookup(
            LookupKind.Found,
            root.GetProperty("status").GetString(),
            root.GetProperty("from").GetString(),
            root.GetProperty("to").GetString(),
            root.GetProperty("amount").GetInt64(),
            "200 " + root.GetProperty("status").GetString());
    }

    private static OperationLookup ReadLookup(string text)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        return new OperationLookup(
            LookupKind.Found,
            root.GetProperty("status").GetString(),
            root.GetProperty("kind").GetString(),
            root.GetProperty("amount").GetInt64(),
            root.GetProperty("balanceAfter").GetInt64(),
            "200");
    }

    private static long ReadBalance(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty("balance").GetInt64();
    }

    private static string? ProblemCode(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.TryGetProperty("type", out var type) && type.GetString() is { } value && value.StartsWith(ProblemPrefix, StringComparison.Ordinal)
                ? value[ProblemPrefix.Length..]
                : null;
        }
        catch (JsonException)
        {
            // Not a problem document (e.g. an HTML error page from something in between).
            return null;
        }
    }

    private static string Describe(HttpStatusCode status, string text) =>
        $"{(int)status} {ProblemCode(text) ?? status.ToString()}";

    /// <summary>
    /// One call with retries. 503 (storage or cluster unavailable), other 5xx, timeouts and refused
    /// connections are retried after a backoff (at least the server's Retry-After); anything else is
    /// handed to <paramref name="classify"/>, which decides whether it is final.
    /// </summary>
    private async Task<(T? Result, int Attempts, string LastFailure)> SendAsync<T>(
        Func<HttpRequestMessage> createRequest,
        Func<HttpStatusCode, string, bool, (bool Done, T? Result)> classify,
        bool isOperation,
        CancellationToken cancellationToken)
    {
        var lastFailure = "no attempt";
        for (var attempt = 1; attempt <= _maxAttempts; attempt++)
        {
            if (isOperation)
            {
                _counters.Increment(Counter.Attempts);
                if (attempt > 1)
                {
                    _counters.Increment(Counter.Retries);
                }
            }
            else if (attempt > 1)
            {
                _counters.Increment(Counter.LookupRetries);
            }

            TimeSpan? retryAfter = null;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_attemptTimeout);
                try
                {
                    using var request = createRequest();
                    using var response = await _http.SendAsync(request, timeout.Token);
                    var text = await response.Content.ReadAsStringAsync(timeout.Token);
                    var replayed = response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Contains("true");
                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        // too-many-pending-transfers: nothing happened; the same key is retried after Retry-After.
                        if (isOperation)
                        {
                            _counters.Increment(Counter.TooManyPendingTransfers);
                        }

                        lastFailure = Describe(response.StatusCode, text);
                        retryAfter = response.Headers.RetryAfter?.Delta;
                    }
                    else if ((int)response.StatusCode >= 500)
                    {
                        var code = ProblemCode(text);
                        if (isOperation)
                        {
                            _counters.Increment(code switch
                            {
                                "storage-unavailable" => Counter.StorageUnavailable,
                                "cluster-unavailable" => Counter.ClusterUnavailable,
                                _ => Counter.ServerErrors,
                            });
                        }

                        lastFailure = Describe(response.StatusCode, text);
                        retryAfter = response.Headers.RetryAfter?.Delta;
                    }
                    else
                    {
                        if (isOperation && replayed)
                        {
                            _counters.Increment(Counter.Replays);
                        }

                        var (done, result) = classify(response.StatusCode, text, replayed);
                        if (done)
                        {
                            return (result, attempt, lastFailure);
                        }
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    if (isOperation)
                    {
                        _counters.Increment(Counter.Timeouts);
                    }

                    lastFailure = $"no answer within {_attemptTimeout.TotalSeconds:0.#} s";
                }
                catch (HttpRequestException exception)
                {
                    if (isOperation)
                    {
                        _counters.Increment(Counter.ConnectionErrors);
                    }

                    lastFailure = "connection failed: " + exception.Message;
                }
            }

            if (attempt < _maxAttempts)
            {
                await Task.Delay(Backoff(attempt, retryAfter), cancellationToken);
            }
        }

        return (default, _maxAttempts, lastFailure);
    }

    // Exponential with jitter so that ATMs retrying after the same outage do not come back in step.
    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var exponential = FirstBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 16));
        var capped = Math.Min(exponential, _maxBackoff.TotalMilliseconds);
        var jittered = capped * (0.5 + (Random.Shared.NextDouble() / 2));
        return TimeSpan.FromMilliseconds(Math.Max(jittered, Math.Min(retryAfter?.TotalMilliseconds ?? 0, _maxBackoff.TotalMilliseconds)));
    }
}
