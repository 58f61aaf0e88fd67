using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;
using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Client;

/// <summary>
/// A typed client of the ReliableMessaging HTTP API (register it with
/// <see cref="ReliableMessagingClientServiceCollectionExtensions.AddReliableMessagingClient"/>).
/// Every request it sends is safe to repeat: GETs, the idempotent PUT, and POSTs under an
/// Idempotency-Key made once per logical operation and kept across every retry. It retries what
/// cannot be a final answer (timeouts, failed connections, an open circuit, 408, 429, 502, 503, 504)
/// with capped exponential backoff and jitter, never sooner than the server's Retry-After. A keyed
/// POST that stays unanswered (or ends on a 500, or on an answer that says nothing about the work
/// after an attempt that may have run it) is resolved through the operations (or transfers) endpoint;
/// cancelled, it throws <see cref="OutcomeUnknownException"/> carrying the request.
/// </summary>
public sealed class ReliableMessagingClient
{
    private const string IdempotencyKeyHeader = "Idempotency-Key";
    private const string ReplayedHeader = "Idempotent-Replayed";

    // How long past AttemptTimeout (the resilience pipeline's timeout) an attempt may take to read its body.
    private static readonly TimeSpan BodyReadAllowance = TimeSpan.FromSeconds(1);

    // Requests (by reference) this process sent without learning their outcome: a resend of one starts as
    // "may have run", so a 401 to its first attempt is looked up, not taken for "executed nothing".
    private static readonly ConditionalWeakTable<object, object> SentWithoutAnOutcome = new();

    private readonly HttpClient _http;
    private readonly ReliableMessagingClientOptions _options;
    private readonly IReliableMessagingObserver[] _observers;

    public ReliableMessagingClient(HttpClient http, IOptions<ReliableMessagingClientOptions> options, IEnumerable<IReliableMessagingObserver> observers)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(observers);
        _http = http;
        _options = options.Value;
        _observers = [.. observers];
    }

    /// <summary><c>PUT /accounts/{id}</c>: opens the account (Created) or finds it open.</summary>
    public async Task<AccountResult> OpenAccountAsync(string accountId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        var exchange = await ExchangeAsync(RequestKind.OpenAccount, () => new HttpRequestMessage(HttpMethod.Put, AccountPath(accountId)), cancellationToken);
        return ReadAccount(accountId, exchange);
    }

    /// <summary><c>GET /accounts/{id}</c>: the committed balance and version.</summary>
    public async Task<AccountResult> GetAccountAsync(string accountId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        var exchange = await ExchangeAsync(RequestKind.GetAccount, () => new HttpRequestMessage(HttpMethod.Get, AccountPath(accountId)), cancellationToken);
        return ReadAccount(accountId, exchange);
    }

    /// <summary>
    /// Deposits under a fresh key (kept across every retry of this call). The key is made inside: after
    /// <see cref="OutcomeKind.Unanswered"/>, <see cref="OutcomeKind.NotExecuted"/> or an exception, resend
    /// <c>outcome.Request</c> (or the exception's <c>Request</c>); calling this again would deposit twice.
    /// Callers that must survive a restart create the request first and use <see cref="SendAsync(OperationRequest, CancellationToken)"/>.
    /// </summary>
    public Task<OperationOutcome> DepositAsync(string accountId, long amount, CancellationToken cancellationToken = default) =>
        SendAsync(OperationRequest.Deposit(accountId, amount), cancellationToken);

    /// <summary>Withdraws under a fresh key (kept across every retry of this call); see <see cref="DepositAsync"/> for what to resend.</summary>
    public Task<OperationOutcome> WithdrawAsync(string accountId, long amount, CancellationToken cancellationToken = default) =>
        SendAsync(OperationRequest.Withdrawal(accountId, amount), cancellationToken);

    /// <summary>
    /// Sends a deposit or withdrawal under its own key. Pass an earlier outcome's
    /// <see cref="KeyedOutcome{TRequest}.Request"/> to send the same operation again: it executes at most once.
    /// </summary>
    public Task<OperationOutcome> SendAsync(OperationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Before anything is sent: refused here, the request is not taken for one that may have run.
        ArgumentNullException.ThrowIfNull(request.AccountId, nameof(request) + "." + nameof(request.AccountId));
        return SendKeyedAsync(request, request.OperationId, SendAndResolveAsync, cancellationToken);
    }

    /// <summary>
    /// Sends a deposit or withdrawal again that may have been sent before, by this process or an earlier
    /// one (a request rebuilt from the caller's journal after a restart): from its first attempt, an answer
    /// that is no verdict on the work (a 401 because the token expired meanwhile) is looked up, never
    /// reported as <see cref="OutcomeKind.Rejected"/>, "executed nothing". It executes at most once.
    /// </summary>
    public Task<OperationOutcome> ResendAsync(OperationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        SentWithoutAnOutcome.AddOrUpdate(request, request);
        return SendAsync(request, cancellationToken);
    }

    private async Task<OperationOutcome> SendAndResolveAsync(OperationRequest request, CancellationToken cancellationToken)
    {
        var body = request.Body;
        var exchange = await ExchangeAsync(RequestKind.Operation, () => KeyedPost(request.Path, request.OperationId, body), cancellationToken,
            SentWithoutAnOutcome.TryGetValue(request, out _));
        if (exchange.Answered)
        {
            var answer = ReadOperationAnswer(request, exchange);
            if (IsVerdict(answer, exchange))
            {
                return answer;
            }

            exchange = exchange.AsUnanswered(answer.Error, answer.Detail);
        }

        var unanswered = new OperationOutcome { Kind = OutcomeKind.Unanswered, Request = request, Attempts = exchange.Attempts, Error = exchange.LastError, Detail = exchange.LastFailure };
        if (!_options.ResolveUnanswered)
        {
            return unanswered;
        }

        var lookup = await LookUpOperationAsync(request.AccountId, request.OperationId, followUp: true, cancellationToken);
        return lookup switch
        {
            { Kind: LookupKind.Found, Operation: { } recorded } when recorded.Kind == request.Kind && recorded.Amount == request.Amount => unanswered with
            {
                Kind = recorded.Succeeded ? OutcomeKind.Succeeded : OutcomeKind.InsufficientFunds,
                BalanceAfter = recorded.BalanceAfter,
                IsReplay = true,
                ResolvedByLookup = true,
                Detail = $"no answer ({exchange.LastFailure}); the account's record says {(recorded.Succeeded ? "succeeded" : "insufficient-funds")}",
            },
            { Kind: LookupKind.Found, Operation: { } other } => unanswered with
            {
                Kind = OutcomeKind.Rejected,
                ResolvedByLookup = true,
                Error = UnexpectedResponseError.Create(200, string.Empty, $"the key is recorded for a {other.Kind} of {other.Amount}, not this {request.KindName} of {request.Amount}"),
                Detail = "the key is recorded for another operation",
            },
            { Kind: LookupKind.NotFound } => unanswered with
            {
                Kind = OutcomeKind.NotExecuted,
                ResolvedByLookup = true,
                Detail = $"no answer ({exchange.LastFailure}); the account has no record: it has not run so far; send the same request again (same key) to settle it, it runs at most once",
            },
            _ => unanswered with { Detail = $"no answer ({exchange.LastFailure}); lookup: {lookup.Detail}" },
        };
    }

    /// <summary><c>GET /accounts/{id}/operations/{operationId}</c>: the recorded outcome, or why there is none.</summary>
    public Task<OperationLookup> GetOperationAsync(string accountId, Guid operationId, CancellationToken cancellationToken = default) =>
        LookUpOperationAsync(accountId, operationId, followUp: false, cancellationToken);

    private async Task<OperationLookup> LookUpOperationAsync(string accountId, Guid operationId, bool followUp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        var exchange = await ExchangeAsync(RequestKind.GetOperation,
            () => new HttpRequestMessage(HttpMethod.Get, $"{AccountPath(accountId)}/operations/{operationId}"), cancellationToken, followUp: followUp);
        if (!exchange.Answered)
        {
            return new OperationLookup(LookupKind.Failed, null, exchange.LastError, "no answer: " + exchange.LastFailure);
        }

        if (exchange.StatusCode == (int)HttpStatusCode.OK)
        {
            // The record asked for, or none: a record of another operation (a cache or proxy's mix-up) must not settle this key.
            return TryReadRecordedOperation(exchange.Body, out var recorded) && recorded.OperationId == operationId && recorded.AccountId == accountId
                ? new OperationLookup(LookupKind.Found, recorded, null, "200 " + (recorded.Succeeded ? "succeeded" : "insufficient-funds"))
                : new OperationLookup(LookupKind.Failed, null, UnexpectedResponseError.Create(200, exchange.Body, "not the record of this operation"), "200 with an unreadable or foreign body");
        }

        var error = ErrorOf(exchange);
        return error switch
        {
            OperationNotFoundError => new OperationLookup(LookupKind.NotFound, null, error, Describe(error)),
            IdempotencyKeyExpiredError => new OperationLookup(LookupKind.Expired, null, error, Describe(error)),
            _ => new OperationLookup(LookupKind.Failed, null, error, Describe(error)),
        };
    }

    /// <summary>Transfers under a fresh transfer ID (kept across every retry of this call); see <see cref="DepositAsync"/> for what to resend.</summary>
    public Task<TransferOutcome> TransferAsync(string from, string to, long amount, CancellationToken cancellationToken = default) =>
        SendAsync(TransferRequest.Create(from, to, amount), cancellationToken);

    /// <summary><c>POST /transfers</c> under the request's own transfer ID; a resend of the same request is answered from the record.</summary>
    public Task<TransferOutcome> SendAsync(TransferRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.From, nameof(request) + "." + nameof(request.From));
        ArgumentNullException.ThrowIfNull(request.To, nameof(request) + "." + nameof(request.To));
        return SendKeyedAsync(request, request.TransferId, SendAndResolveAsync, cancellationToken);
    }

    /// <summary>
    /// Sends a transfer again that may have been sent before (see <see cref="ResendAsync(OperationRequest, CancellationToken)"/>):
    /// an answer that is no verdict on it is looked up, never reported as <see cref="OutcomeKind.Rejected"/>.
    /// </summary>
    public Task<TransferOutcome> ResendAsync(TransferRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        SentWithoutAnOutcome.AddOrUpdate(request, request);
        return SendAsync(request, cancellationToken);
    }

    /// <summary>
    /// One keyed POST with its resolution. A request left without an outcome (no answer, nothing found
    /// yet, the caller cancelled, or an unexpected error) is remembered, so that its resend starts as one
    /// that may have run; a cancellation carries the request in <see cref="OutcomeUnknownException"/>,
    /// any other exception in <see cref="KeyedRequestFailedException"/>.
    /// </summary>
    private static async Task<TOutcome> SendKeyedAsync<TRequest, TOutcome>(
        TRequest request, Guid key, Func<TRequest, CancellationToken, Task<TOutcome>> sendAndResolve, CancellationToken cancellationToken)
        where TRequest : class
        where TOutcome : KeyedOutcome<TRequest>
    {
        try
        {
            var outcome = await sendAndResolve(request, cancellationToken);
            if (outcome.Kind is OutcomeKind.Unanswered or OutcomeKind.NotExecuted)
            {
                SentWithoutAnOutcome.AddOrUpdate(request, request);
            }

            return outcome;
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested
                                          && exception is (OperationCanceledException and not OutcomeUnknownException) or TimeoutRejectedException)
        {
            SentWithoutAnOutcome.AddOrUpdate(request, request);
            throw new OutcomeUnknownException(request, key, exception, cancellationToken);
        }
        catch (Exception exception) when (exception is not (OutcomeUnknownException or KeyedRequestFailedException))
        {
            // Anything else (an observer or an application's handler that threw, a bug) may strike after an
            // attempt ran the request: the caller must get the key with it, or a natural retry under a new
            // key (DepositAsync and WithdrawAsync make theirs inside) would run the operation twice.
            SentWithoutAnOutcome.AddOrUpdate(request, request);
            throw new KeyedRequestFailedException(request, key, exception);
        }
    }

    private async Task<TransferOutcome> SendAndResolveAsync(TransferRequest request, CancellationToken cancellationToken)
    {
        var body = request.Body;
        var exchange = await ExchangeAsync(RequestKind.Transfer, () => KeyedPost("transfers", request.TransferId, body), cancellationToken,
            SentWithoutAnOutcome.TryGetValue(request, out _));
        if (exchange.Answered)
        {
            var answer = ReadTransferAnswer(request, exchange);
            if (IsVerdict(answer, exchange))
            {
                return answer;
            }

            exchange = exchange.AsUnanswered(answer.Error, answer.Detail);
        }

        var unanswered = new TransferOutcome { Kind = OutcomeKind.Unanswered, Request = request, Attempts = exchange.Attempts, Error = exchange.LastError, Detail = exchange.LastFailure };
        if (!_options.ResolveUnanswered)
        {
            return unanswered;
        }

        var lookup = await LookUpTransferAsync(request.TransferId, followUp: true, cancellationToken);
        if (lookup.Error is TransferNotConfirmedError notConfirmed)
        {
            // Received, and its source has no debit yet: a start may still be on its way. The service's
            // advice is to repeat the POST with the same ID, which settles it (it runs at most once), after
            // its Retry-After, as asked (a start still on its way may land first; the resend then replays it).
            await Task.Delay(Backoff(1, notConfirmed.Problem.RetryAfter), _options.TimeProvider, cancellationToken);
            var resent = await ExchangeAsync(RequestKind.Transfer, () => KeyedPost("transfers", request.TransferId, body), cancellationToken, sentBefore: true);
            if (resent.Answered && ReadTransferAnswer(request, resent) is var answer && IsVerdict(answer, resent))
            {
                return answer with { Attempts = exchange.Attempts + resent.Attempts, Detail = $"no answer ({exchange.LastFailure}); the transfer was not confirmed yet, so it was sent again with the same ID: {answer.Detail}" };
            }
        }

        return lookup switch
        {
            { Kind: LookupKind.Found, Transfer: { } transfer } when transfer.From == request.From && transfer.To == request.To && transfer.Amount == request.Amount => unanswered with
            {
                Kind = OutcomeKind.Succeeded,
                Transfer = transfer,
                IsReplay = true,
                ResolvedByLookup = true,
                Detail = $"no answer ({exchange.LastFailure}); the transfer was accepted and is {transfer.Status}",
            },
            { Kind: LookupKind.NotFound } => unanswered with
            {
                Kind = OutcomeKind.NotExecuted,
                ResolvedByLookup = true,
                Detail = $"no answer ({exchange.LastFailure}); no transfer has been accepted with this ID so far; send the same request again (same ID) to settle it, it runs at most once",
            },
            _ => unanswered with { Detail = $"no answer ({exchange.LastFailure}); lookup: {lookup.Detail}" },
        };
    }

    /// <summary><c>GET /transfers/{id}</c>: the transfer's current status.</summary>
    public Task<TransferLookup> GetTransferAsync(Guid transferId, CancellationToken cancellationToken = default) =>
        LookUpTransferAsync(transferId, followUp: false, cancellationToken);

    private async Task<TransferLookup> LookUpTransferAsync(Guid transferId, bool followUp, CancellationToken cancellationToken)
    {
        var exchange = await ExchangeAsync(RequestKind.GetTransfer, () => new HttpRequestMessage(HttpMethod.Get, $"transfers/{transferId}"), cancellationToken, followUp: followUp);
        if (!exchange.Answered)
        {
            return new TransferLookup(LookupKind.Failed, null, exchange.LastError, "no answer: " + exchange.LastFailure);
        }

        if (exchange.StatusCode == (int)HttpStatusCode.OK)
        {
            return TryReadTransfer(exchange.Body, out var transfer) && transfer.TransferId == transferId
                ? new TransferLookup(LookupKind.Found, transfer, null, "200 " + StatusName(transfer.Status))
                : new TransferLookup(LookupKind.Failed, null, UnexpectedResponseError.Create(200, exchange.Body, "not the record of this transfer"), "200 with an unreadable or foreign body");
        }

        var error = ErrorOf(exchange);
        return error switch
        {
            TransferNotFoundError => new TransferLookup(LookupKind.NotFound, null, error, Describe(error)),
            IdempotencyKeyExpiredError => new TransferLookup(LookupKind.Expired, null, error, Describe(error)),
            _ => new TransferLookup(LookupKind.Failed, null, error, Describe(error)),
        };
    }

    /// <summary><c>GET /health/ready</c> once: true when the front end reaches an active silo.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.AttemptTimeout);
        try
        {
            // Around the circuit breaker: a poller waiting for a deploy counts no failures against the
            // operations' first attempts, and sees the service back without waiting for a probe.
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("health/ready", UriKind.Relative));
            request.Options.Set(AttemptPipelines.FollowUp, true);
            using var response = await _http.SendAsync(request, deadline.Token);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception exception) when (IsAttemptFailure(exception, cancellationToken))
        {
            return false;
        }
    }

    /// <summary>
    /// Whether an answer settles the key: a recorded outcome does; so does a refusal the service decided
    /// from the request or the account. An unreadable answer never does (a 2xx means something ran), nor,
    /// once an earlier attempt may have run the request, an answer that says nothing about the work (a
    /// token that expired between attempts gets 401 before the account's record is read): then the
    /// outcome is looked up, never reported as "executed nothing".
    /// </summary>
    private static bool IsVerdict<TRequest>(KeyedOutcome<TRequest> answer, Exchange exchange)
        where TRequest : class =>
        answer.Kind != OutcomeKind.Rejected
        || (answer.Error is { } error && error is not UnexpectedResponseError && (error.IsVerdict || !exchange.EarlierAttemptMayHaveRun));

    private static bool IsSuccessStatus(int status) => status is >= 200 and < 300;

    private static string AccountPath(string accountId) => "accounts/" + Uri.EscapeDataString(accountId);

    private static HttpRequestMessage KeyedPost(string path, Guid key, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(IdempotencyKeyHeader, key.ToString());
        return request;
    }

    private static bool IsAttemptFailure(Exception exception, CancellationToken cancellationToken) =>
        exception is HttpRequestException or TimeoutRejectedException or BrokenCircuitException or AccessTokenUnavailableException
        || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>
    /// One call with its retries. Anything that is not a final answer (timeouts, failed connections,
    /// an open circuit, 408, 429, 502, 503, 504) is retried after a backoff no shorter than Retry-After;
    /// the request is rebuilt for each attempt with the same key and body. A 5xx is never a verdict on
    /// the work (it may have committed before the error): when the attempts end on one, or on a 500
    /// (not retried: a bug answers every retry alike), the call has no answer. Every attempt after the
    /// first that went out, of a request sent before, or of a look-up that settles one
    /// (<paramref name="followUp"/>) is a follow-up, which no circuit breaker refuses (<see cref="AttemptPipelines"/>).
    /// </summary>
    private async Task<Exchange> ExchangeAsync(
        RequestKind kind, Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken, bool sentBefore = false, bool followUp = false)
    {
        var lastFailure = "no attempt";
        ApiError? lastError = null;
        var mayHaveRun = sentBefore;
        // Whether an attempt of this call went out (one the breaker refused did not): later ones are follow-ups.
        var sent = false;
        // A refused token is sent again with the provider's next one once per call, not at every attempt.
        var tokenRefused = false;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            TimeSpan? retryAfter = null;
            // Also bounds reading the body, which HttpClient does after the handlers (and their timeout) returned.
            // A little later than the pipeline's own timeout: cancelled first, this token would reach the
            // pipeline as a plain cancellation, which the circuit breaker does not count as a timeout.
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                deadline.CancelAfter(_options.AttemptTimeout + BodyReadAllowance);
                try
                {
                    using var request = createRequest();
                    request.Options.Set(AttemptPipelines.FollowUp, followUp || sentBefore || sent);
                    sent = true;
                    using var response = await _http.SendAsync(request, deadline.Token);
                    // The API answers UTF-8; a proxy's page may name a charset .NET does not know, for which
                    // ReadAsStringAsync throws, after the request may have run: decode it leniently instead.
                    var body = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync(deadline.Token));
                    var status = (int)response.StatusCode;
                    var replayed = response.Headers.TryGetValues(ReplayedHeader, out var values) && values.Contains("true", StringComparer.OrdinalIgnoreCase);
                    if (ApiError.IsRetryableStatus(status))
                    {
                        retryAfter = RetryAfter(response.Headers.RetryAfter);
                        lastError = ApiError.FromResponse(status, body, retryAfter);
                        lastFailure = Describe(lastError);
                        var result = status == 429 ? AttemptResult.TooManyRequests : AttemptResult.Unavailable;
                        Notify(new AttemptRecord(kind, attempt, result, status, lastError.Code, replayed));
                        mayHaveRun |= status != 429;
                    }
                    else if (status >= 500)
                    {
                        // The service's own error (a bug): never a request to retry, and no verdict on the
                        // work, which may have committed before it. The call ends unanswered: its outcome is
                        // looked up, and resending cannot loop on a bug.
                        var error = ApiError.FromResponse(status, body);
                        Notify(new AttemptRecord(kind, attempt, AttemptResult.ServerError, status, error.Code, replayed));
                        return new Exchange(false, 0, string.Empty, false, attempt, error, Describe(error) + " (the service failed on this request; not retried)", true);
                    }
                    else if (status == 401 && !tokenRefused && attempt < _options.MaxAttempts && _options.AccessTokenProvider is not null
                             && request.Headers.Authorization is { Scheme: "Bearer", Parameter: { Length: > 0 } refusedToken })
                    {
                        // Refused before anything ran (the token is checked before the request is read): it
                        // expired since it was issued, or its key rotated. Sent again at once with the next token.
                        tokenRefused = true;
                        lastError = ApiError.FromResponse(status, body);
                        lastFailure = Describe(lastError) + " (the access token was refused)";
                        await TellTokenRefusedAsync(refusedToken, deadline.Token, cancellationToken);
                        Notify(new AttemptRecord(kind, attempt, AttemptResult.TokenRefused, status, lastError.Code, replayed));
                        continue;
                    }
                    else
                    {
                        Notify(new AttemptRecord(kind, attempt, AttemptResult.Answered, status, null, replayed));
                        return new Exchange(true, status, body, replayed, attempt, null, string.Empty, mayHaveRun) { RetryAfter = RetryAfter(response.Headers.RetryAfter) };
                    }
                }
                catch (AccessTokenUnavailableException exception)
                {
                    // Not sent. Whether an earlier attempt ran is unchanged; the call ends here with its key.
                    Notify(new AttemptRecord(kind, attempt, AttemptResult.AccessTokenFailed, 0, null, false));
                    return new Exchange(false, 0, string.Empty, false, attempt, null, exception.Message, mayHaveRun);
                }
                catch (BrokenCircuitException exception)
                {
                    sent = false;
                    // Not sent. The next attempt waits for the breaker to let a probe through: attempts
                    // refused in a burst would use up the call's budget in a fraction of an outage.
                    lastFailure = "circuit open: " + exception.Message;
                    retryAfter = _options.CircuitBreakerBreakDuration;
                    Notify(new AttemptRecord(kind, attempt, AttemptResult.CircuitOpen, 0, null, false));
                }
                catch (HttpRequestException exception)
                {
                    // It may have failed after the request was sent; an earlier attempt's error no longer describes the last one.
                    (lastError, lastFailure, mayHaveRun) = (null, "connection failed: " + exception.Message, true);
                    Notify(new AttemptRecord(kind, attempt, AttemptResult.ConnectionFailed, 0, null, false));
                }
                catch (TimeoutRejectedException exception) when (cancellationToken.IsCancellationRequested)
                {
                    // The caller's deadline and the attempt's fired together: the caller's decides, and it
                    // is a cancellation (for a keyed request, OutcomeUnknownException), not Polly's exception.
                    throw new OperationCanceledException("The call was cancelled.", exception, cancellationToken);
                }
                catch (Exception exception) when (exception is TimeoutRejectedException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    (lastError, lastFailure, mayHaveRun) = (null, string.Create(CultureInfo.InvariantCulture, $"no answer within {_options.AttemptTimeout.TotalSeconds:0.###} s"), true);
                    Notify(new AttemptRecord(kind, attempt, AttemptResult.Timeout, 0, null, false));
                }
            }

            if (attempt < _options.MaxAttempts)
            {
                await Task.Delay(Backoff(attempt, retryAfter), _options.TimeProvider, cancellationToken);
            }
        }

        return new Exchange(false, 0, string.Empty, false, _options.MaxAttempts, lastError, lastFailure, mayHaveRun);
    }

    // Whatever the callback throws, like the provider's failure: the call ends with its key. One that
    // outlasts the attempt's deadline is its failure too, not the attempt's timeout: the 401 ran nothing.
    private async Task TellTokenRefusedAsync(string token, CancellationToken attemptDeadline, CancellationToken callerToken)
    {
        if (_options.AccessTokenRefused is not { } refused)
        {
            return;
        }

        try
        {
            await refused(token, attemptDeadline).AsTask().WaitAsync(attemptDeadline);
        }
        catch (OperationCanceledException exception) when (!callerToken.IsCancellationRequested)
        {
            throw new AccessTokenUnavailableException(new TimeoutException("AccessTokenRefused did not return within the attempt's time", exception));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new AccessTokenUnavailableException(exception);
        }
    }

    private void Notify(AttemptRecord attempt)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnAttempt(attempt);
            }
            catch (Exception exception)
            {
                // Called inside the attempt's try: unwrapped, an observer's HttpRequestException or
                // TaskCanceledException would pass for the attempt's own, discard its answer and retry.
                throw new ObserverFailedException(observer, exception);
            }
        }
    }

    // A date already past asks for no wait at all.
    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => TimeSpan.FromTicks(Math.Max(0, (date - _options.TimeProvider.GetUtcNow()).Ticks)),
        _ => null,
    };

    // Exponential with jitter, so that clients retrying after the same outage do not come back in step;
    // never sooner than the server asked (up to MaxRetryAfter), and spread after that too (the server
    // asks every client for the same second).
    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var exponential = _options.FirstBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 16));
        var capped = Math.Min(exponential, _options.MaxBackoff.TotalMilliseconds);
        var jittered = capped * (0.5 + (Random.Shared.NextDouble() / 2));
        var asked = Math.Clamp(retryAfter?.TotalMilliseconds ?? 0, 0, _options.MaxRetryAfter.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(asked > jittered ? asked * (1 + (Random.Shared.NextDouble() / 5)) : jittered);
    }

    private static AccountResult ReadAccount(string accountId, Exchange exchange)
    {
        if (!exchange.Answered)
        {
            return new AccountResult(null, false, exchange.LastError, "no answer: " + exchange.LastFailure);
        }

        if (exchange.StatusCode is 200 or 201)
        {
            try
            {
                using var document = JsonDocument.Parse(exchange.Body);
                var root = document.RootElement;
                var account = new AccountInfo(RequiredString(root, "accountId"), root.GetProperty("balance").GetInt64(), root.GetProperty("version").GetInt64());
                if (account.AccountId != accountId)
                {
                    // Another account's balance (a cache's or proxy's mix-up) is never shown as this one's.
                    var foreign = UnexpectedResponseError.Create(exchange.StatusCode, exchange.Body, "the answer is for another account");
                    return new AccountResult(null, false, foreign, Describe(foreign));
                }

                return new AccountResult(account, exchange.StatusCode == 201, null, exchange.StatusCode == 201 ? "201 opened" : "200");
            }
            catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                var unexpected = UnexpectedResponseError.Create(exchange.StatusCode, exchange.Body, "not an account: " + exception.Message);
                return new AccountResult(null, false, unexpected, Describe(unexpected));
            }
        }

        if (IsSuccessStatus(exchange.StatusCode))
        {
            var unexpectedSuccess = UnexpectedResponseError.Create(exchange.StatusCode, exchange.Body, $"{exchange.StatusCode} instead of 200 or 201");
            return new AccountResult(null, false, unexpectedSuccess, Describe(unexpectedSuccess));
        }

        var error = ErrorOf(exchange);
        return new AccountResult(null, false, error, Describe(error));
    }

    private static OperationOutcome ReadOperationAnswer(OperationRequest request, Exchange exchange)
    {
        var outcome = new OperationOutcome { Kind = OutcomeKind.Rejected, Request = request, IsReplay = exchange.Replayed, Attempts = exchange.Attempts, StatusCode = exchange.StatusCode, Body = exchange.Body };
        if (exchange.StatusCode == (int)HttpStatusCode.OK)
        {
            return TryReadRecordedOperation(exchange.Body, out var recorded)
                && recorded.OperationId == request.OperationId && recorded.Kind == request.Kind && recorded.Amount == request.Amount && recorded.Succeeded
                ? outcome with { Kind = OutcomeKind.Succeeded, BalanceAfter = recorded.BalanceAfter, Detail = "200 succeeded" }
                : Unexpected(outcome, "200 for another operation: " + Excerpt(exchange.Body));
        }

        if (IsSuccessStatus(exchange.StatusCode))
        {
            // Another 2xx (a proxy's 204, say): something ran, so never "executed nothing"; it is looked up.
            return Unexpected(outcome, $"{exchange.StatusCode} instead of 200: {Excerpt(exchange.Body)}");
        }

        var error = ErrorOf(exchange);
        return error is InsufficientFundsError refused
            ? outcome with { Kind = OutcomeKind.InsufficientFunds, BalanceAfter = refused.Balance, Error = error, Detail = Describe(error) }
            : outcome with { Error = error, Detail = Describe(error) };

        static OperationOutcome Unexpected(OperationOutcome outcome, string detail)
        {
            var error = UnexpectedResponseError.Create(outcome.StatusCode, outcome.Body, detail);
            return outcome with { Error = error, Detail = detail };
        }
    }

    private static TransferOutcome ReadTransferAnswer(TransferRequest request, Exchange exchange)
    {
        var outcome = new TransferOutcome { Kind = OutcomeKind.Rejected, Request = request, IsReplay = exchange.Replayed, Attempts = exchange.Attempts, StatusCode = exchange.StatusCode, Body = exchange.Body };
        if (exchange.StatusCode == (int)HttpStatusCode.Accepted)
        {
            if (TryReadTransfer(exchange.Body, out var transfer)
                && transfer.TransferId == request.TransferId && transfer.From == request.From && transfer.To == request.To && transfer.Amount == request.Amount)
            {
                return outcome with { Kind = OutcomeKind.Succeeded, Transfer = transfer, Detail = "202 " + StatusName(transfer.Status) };
            }

            var detail = "202 for another transfer: " + Excerpt(exchange.Body);
            return outcome with { Error = UnexpectedResponseError.Create(202, exchange.Body, detail), Detail = detail };
        }

        if (IsSuccessStatus(exchange.StatusCode))
        {
            // Another 2xx (a gateway that turned the 202 into 200, say): something ran; it is looked up.
            var detail = $"{exchange.StatusCode} instead of 202: {Excerpt(exchange.Body)}";
            return outcome with { Error = UnexpectedResponseError.Create(exchange.StatusCode, exchange.Body, detail), Detail = detail };
        }

        var error = ErrorOf(exchange);
        return error is InsufficientFundsError
            ? outcome with { Kind = OutcomeKind.InsufficientFunds, Error = error, Detail = Describe(error) }
            : outcome with { Error = error, Detail = Describe(error) };
    }

    private static bool TryReadRecordedOperation(string body, out RecordedOperation recorded)
    {
        recorded = null!;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            OperationKind? kind = root.GetProperty("kind").GetString() switch
            {
                "deposit" => OperationKind.Deposit,
                "withdrawal" => OperationKind.Withdrawal,
                _ => null,
            };
            var status = root.GetProperty("status").GetString();
            if (kind is null || status is not ("succeeded" or "insufficient-funds"))
            {
                return false;
            }

            recorded = new RecordedOperation(
                root.GetProperty("operationId").GetGuid(),
                RequiredString(root, "accountId"),
                kind.Value,
                root.GetProperty("amount").GetInt64(),
                root.GetProperty("balanceAfter").GetInt64(),
                status == "succeeded");
            return true;
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    private static bool TryReadTransfer(string body, out TransferInfo transfer)
    {
        transfer = null!;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var status = root.GetProperty("status").GetString() switch
            {
                "pending" => TransferStatus.Pending,
                "completed" => TransferStatus.Completed,
                "refunded" => TransferStatus.Refunded,
                "stuck" => TransferStatus.Stuck,
                _ => TransferStatus.Unknown,
            };
            var finishedAt = root.TryGetProperty("finishedAt", out var finished) && finished.ValueKind == JsonValueKind.String ? finished.GetDateTimeOffset() : (DateTimeOffset?)null;
            transfer = new TransferInfo(
                root.GetProperty("transferId").GetGuid(),
                RequiredString(root, "from"),
                RequiredString(root, "to"),
                root.GetProperty("amount").GetInt64(),
                status,
                root.GetProperty("createdAt").GetDateTimeOffset(),
                finishedAt);
            return true;
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    // A JSON null where the API always writes a string: not the API's answer (never a null inside a result).
    private static string RequiredString(JsonElement root, string name) =>
        root.GetProperty(name).GetString() ?? throw new FormatException($"'{name}' is null");

    private static string StatusName(TransferStatus status) => status.ToString().ToLowerInvariant();

    private static string Describe(ApiError error) => $"{error.Status} {error.Code}";

    // A detail is one line for logs: an answer's body (the whole of it stays in Body) shortened to its start, on one line.
    private static string Excerpt(string body)
    {
        const int Length = 200;
        // Never half of a surrogate pair at the cut.
        var cut = body.Length > Length && char.IsHighSurrogate(body[Length - 1]) ? Length - 1 : Length;
        var start = body.Length > Length ? body[..cut] + "..." : body;
        return string.Create(start.Length, start, (span, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                // Line and paragraph separators end a line as much as a newline does.
                span[i] = char.IsControl(text[i]) || text[i] is '\u2028' or '\u2029' ? ' ' : text[i];
            }
        });
    }

    private static ApiError ErrorOf(Exchange exchange) => ApiError.FromResponse(exchange.StatusCode, exchange.Body, exchange.RetryAfter);
}
