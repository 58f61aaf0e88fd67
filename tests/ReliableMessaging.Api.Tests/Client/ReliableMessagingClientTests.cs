using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using ReliableMessaging.Api.Problems;
using ReliableMessaging.Api.Security;
using ReliableMessaging.Client;
using ReliableMessaging.Client.Errors;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Api.Tests.Client;

/// <summary>The client library against the real front end and a real cluster on PostgreSQL, with answers lost on the wire.</summary>
[Collection(ApiCollection.Name)]
public sealed class ReliableMessagingClientTests(ApiFixture fixture)
{
    [Fact]
    public void Options_DefaultAttemptTimeout_OutlastsTheFrontEndsDeadlineForAGrainCall()
    {
        // The front end answers a call stuck on a stalled silo with 503 and Retry-After after its
        // ResponseTimeout; an attempt cut off before that leaves the grain call running and sends another.
        Assert.True(new ReliableMessagingClientOptions().AttemptTimeout >= new Api.Hosting.FrontEndOptions().ResponseTimeout * 2);
    }

    [Fact]
    public async Task Withdraw_CommittedButResponseLost_RetryReturnsOriginalOutcomeAndDebitsOnce()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.DropResponses(1);

        var outcome = await harness.Client.WithdrawAsync(accountId, 100);

        Assert.Equal(OutcomeKind.Succeeded, outcome.Kind);
        Assert.Equal(900, outcome.BalanceAfter);
        Assert.True(outcome.IsReplay);
        Assert.False(outcome.ResolvedByLookup);
        Assert.Equal(2, outcome.Attempts);
        var keys = harness.Wire.Attempts.Where(a => a.Path.EndsWith("/withdrawals", StringComparison.Ordinal)).Select(a => a.IdempotencyKey).ToList();
        Assert.Equal(2, keys.Count);
        Assert.Equal(outcome.Request.OperationId.ToString(), Assert.Single(keys.Distinct()));
        Assert.Equal(7, outcome.Request.OperationId.Version);
        Assert.Equal(900, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_CommittedButAnswerNeverArrives_PerAttemptTimeoutThenOriginalOutcome()
    {
        // Long enough for a committing request on a loaded host: a first attempt that timed out before the
        // server answered would leave the hang to the second and make three attempts.
        await using var harness = new ClientHarness(fixture.FrontEndA, options => options.AttemptTimeout = TimeSpan.FromSeconds(3));
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.HangResponses(1);
        var earlier = harness.Observer.Attempts.Count;

        var outcome = await harness.Client.WithdrawAsync(accountId, 250);

        Assert.Equal(OutcomeKind.Succeeded, outcome.Kind);
        Assert.Equal(750, outcome.BalanceAfter);
        Assert.True(outcome.IsReplay);
        Assert.Equal(2, outcome.Attempts);
        Assert.Equal(AttemptResult.Timeout, harness.Observer.Attempts.Skip(earlier).First().Result);
        Assert.Equal(750, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_NoAttemptAnswered_ResolvedThroughOperationsEndpointAsTheCommittedOutcome()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA, options => options.MaxAttempts = 3);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.DropResponses(3);

        var outcome = await harness.Client.WithdrawAsync(accountId, 400);

        Assert.Equal(OutcomeKind.Succeeded, outcome.Kind);
        Assert.True(outcome.ResolvedByLookup);
        Assert.Equal(600, outcome.BalanceAfter);
        Assert.Equal(3, outcome.Attempts);
        Assert.Equal(600, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_NeverReachedServer_ResolvedAsNotExecutedAndTheSameRequestThenExecutesOnce()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA, options => options.MaxAttempts = 2);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.RefuseRequests(2);

        var unanswered = await harness.Client.WithdrawAsync(accountId, 300);
        var untouched = await harness.BalanceAsync(accountId);
        var again = await harness.Client.SendAsync(unanswered.Request);
        var third = await harness.Client.SendAsync(unanswered.Request);

        Assert.Equal(OutcomeKind.NotExecuted, unanswered.Kind);
        Assert.True(unanswered.ResolvedByLookup);
        Assert.Equal(1000, untouched);
        Assert.Equal(OutcomeKind.Succeeded, again.Kind);
        Assert.False(again.IsReplay);
        Assert.Equal(700, again.BalanceAfter);
        Assert.True(third.IsReplay);
        Assert.Equal(again.Body, third.Body);
        Assert.Equal(700, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_InternalErrorAfterCommit_NotRetried_TheLookupFindsTheCommittedOutcome()
    {
        // A 500 is no verdict on the work (this one came after the debit committed) and no reason to
        // retry (a bug answers every retry alike): the lookup says what happened.
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.ServerErrorAfterServer(1);

        var outcome = await harness.Client.WithdrawAsync(accountId, 300);

        Assert.Equal(1, outcome.Attempts);
        Assert.Equal((OutcomeKind.Succeeded, true, true, 700L), (outcome.Kind, outcome.IsReplay, outcome.ResolvedByLookup, outcome.BalanceAfter!.Value));
        Assert.Equal(700, await harness.BalanceAsync(accountId));
        Assert.Contains(harness.Observer.Attempts, a => a.Result == AttemptResult.ServerError && a.StatusCode == 500 && a.ProblemCode == "internal-error");
    }

    [Fact]
    public async Task Withdraw_InternalErrorBeforeTheServer_NotRetried_ResolvedByTheLookupAsNotRun()
    {
        // A 500 says nothing about the work: the lookup does, and it never ran here. Not retried, so a
        // bug that answers every request alike costs one attempt, not MaxAttempts.
        await using var harness = new ClientHarness(fixture.FrontEndA, options => options.MaxAttempts = 3);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.ServerErrorBeforeServer(3);

        var outcome = await harness.Client.WithdrawAsync(accountId, 300);

        Assert.Equal(1, outcome.Attempts);
        Assert.Equal(OutcomeKind.NotExecuted, outcome.Kind);
        Assert.True(outcome.ResolvedByLookup);
        Assert.IsType<InternalServerError>(outcome.Error);
        Assert.Equal(1000, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_TokenRefusedOnTheRetryOfAnAttemptThatRan_NeverRejected_TheLookupFindsTheDebit()
    {
        // The first attempt debits and its answer is lost; the retry's token is refused (it expired
        // meanwhile), before the account's record is read. "Rejected: executed nothing" would be false
        // and the caller would pay out again under a new key.
        var tokens = new ExpiringTokens();
        await using var harness = new ClientHarness(fixture.FrontEndA, options => options.AccessTokenProvider = tokens.NextAsync);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        // The retry's token and the fresh one the client asks for after its 401.
        tokens.Refuse(2, count: 2);
        harness.Wire.DropResponses(1);

        var outcome = await harness.Client.WithdrawAsync(accountId, 300);

        Assert.Equal(3, outcome.Attempts);
        Assert.Equal((OutcomeKind.Succeeded, true, true, 700L), (outcome.Kind, outcome.IsReplay, outcome.ResolvedByLookup, outcome.BalanceAfter!.Value));
        Assert.Contains(harness.Observer.Attempts, a => a.Request == RequestKind.Operation && a.StatusCode == 401);
        Assert.Equal(700, await harness.BalanceAsync(accountId));

        // A token refused on the first attempt, and again on its one resend, is a verdict: nothing ran.
        tokens.Refuse(1, count: 2);
        var refused = await harness.Client.WithdrawAsync(accountId, 300);
        Assert.Equal((OutcomeKind.Rejected, 2), (refused.Kind, refused.Attempts));
        Assert.IsType<UnauthorizedError>(refused.Error);
        Assert.Equal(700, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_TokenExpiredSinceIssued_ProviderToldAndSentAgainAtOnceWithItsNextToken_DebitedOnce()
    {
        // A cached token that expired (or whose key rotated) in flight: the 401 ran nothing, so the caller
        // gets the withdrawal, not "unauthorized", and the provider learns which token to drop.
        var tokens = new ExpiringTokens();
        var refusedTokens = new List<string>();
        await using var harness = new ClientHarness(fixture.FrontEndA, options =>
        {
            options.AccessTokenProvider = tokens.NextAsync;
            options.AccessTokenRefused = (token, _) =>
            {
                refusedTokens.Add(token);
                return ValueTask.CompletedTask;
            };
        });
        var accountId = await harness.OpenWithBalanceAsync(1000);
        var before = harness.Observer.Attempts.Count;
        tokens.Refuse(1);

        var outcome = await harness.Client.WithdrawAsync(accountId, 300);

        Assert.Equal((OutcomeKind.Succeeded, 2, false, 700L), (outcome.Kind, outcome.Attempts, outcome.IsReplay, outcome.BalanceAfter!.Value));
        Assert.Equal(["expired.token.value"], refusedTokens);
        Assert.Equal([AttemptResult.TokenRefused, AttemptResult.Answered], harness.Observer.Attempts.Skip(before).Select(a => a.Result));
        Assert.Equal(700, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_TokenProviderThrowsAfterAnAttemptThatRan_EndsUnansweredWithTheKey_TheResendSettlesItOnce()
    {
        // The first attempt debits and its answer is lost; getting the retry's token fails (the identity
        // provider is down). Its exception must not carry the key away: the caller would withdraw again
        // under a new one. The call ends unanswered with its request, and a resend of it is never
        // "Rejected, executed nothing", even when that resend's own token is refused.
        var tokens = new ExpiringTokens();
        await using var harness = new ClientHarness(fixture.FrontEndA, options =>
        {
            options.ResolveUnanswered = false;
            options.AccessTokenProvider = tokens.NextAsync;
        });
        var accountId = await harness.OpenWithBalanceAsync(1000);
        tokens.Fail(2);
        harness.Wire.DropResponses(1);
        var request = OperationRequest.Withdrawal(accountId, 300);

        var outcome = await harness.Client.SendAsync(request);

        Assert.Equal((OutcomeKind.Unanswered, 2), (outcome.Kind, outcome.Attempts));
        Assert.Same(request, outcome.Request);
        Assert.Contains("identity provider", outcome.Detail, StringComparison.Ordinal);
        Assert.Contains(harness.Observer.Attempts, a => a.Result == AttemptResult.AccessTokenFailed);
        Assert.Equal(700, await harness.BalanceAsync(accountId));

        tokens.Refuse(1, count: 2);
        var refusedResend = await harness.Client.SendAsync(request);
        var resent = await harness.Client.SendAsync(request);

        Assert.Equal(OutcomeKind.Unanswered, refusedResend.Kind);
        Assert.Equal((OutcomeKind.Succeeded, true, 700L), (resent.Kind, resent.IsReplay, resent.BalanceAfter!.Value));
        Assert.Equal(700, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_ResendAfterNoAnswer_TokenRefusedOnItsFirstAttempt_NeverRejected()
    {
        // The first call debits and gets no answer (left unresolved); the caller resends the same
        // request, whose only attempt meets an expired token. That says nothing of the first send:
        // "Rejected, executed nothing" would be false.
        var tokens = new ExpiringTokens();
        await using var harness = new ClientHarness(fixture.FrontEndA, options =>
        {
            options.MaxAttempts = 1;
            options.ResolveUnanswered = false;
            options.AccessTokenProvider = tokens.NextAsync;
        });
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.DropResponses(1);
        var request = OperationRequest.Withdrawal(accountId, 300);
        var unanswered = await harness.Client.SendAsync(request);
        Assert.Equal(700, await harness.BalanceAsync(accountId));

        tokens.Refuse(1);
        var resent = await harness.Client.SendAsync(request);
        var fresh = await harness.Client.SendAsync(OperationRequest.Withdrawal(accountId, 1));
        tokens.Refuse(1);
        var refusedFresh = await harness.Client.SendAsync(OperationRequest.Withdrawal(accountId, 1));

        Assert.Equal(OutcomeKind.Unanswered, unanswered.Kind);
        Assert.Equal(OutcomeKind.Unanswered, resent.Kind);
        Assert.IsType<UnauthorizedError>(resent.Error);
        Assert.Equal(OutcomeKind.Succeeded, fresh.Kind);
        // A request never sent before: a refused token is a verdict on this call, which is all there was.
        Assert.Equal(OutcomeKind.Rejected, refusedFresh.Kind);
        Assert.Equal(699, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_RebuiltFromTheJournalAndResent_TokenRefusedOnItsFirstAttempt_NeverRejected()
    {
        // After a restart the caller rebuilds the request from its journal: another object, so the client
        // cannot know it was sent. SendAsync takes a 401 on its first attempt for "executed nothing";
        // ResendAsync says it may have run, and the refusal is no verdict on the earlier send.
        var tokens = new ExpiringTokens();
        await using var harness = new ClientHarness(fixture.FrontEndA, options =>
        {
            options.MaxAttempts = 1;
            options.ResolveUnanswered = false;
            options.AccessTokenProvider = tokens.NextAsync;
        });
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.DropResponses(1);
        var request = OperationRequest.Withdrawal(accountId, 300);
        Assert.Equal(OutcomeKind.Unanswered, (await harness.Client.SendAsync(request)).Kind);
        Assert.Equal(700, await harness.BalanceAsync(accountId));

        var rebuilt = request with { };
        Assert.NotSame(request, rebuilt);
        tokens.Refuse(1);
        var resent = await harness.Client.ResendAsync(rebuilt);
        var settled = await harness.Client.ResendAsync(request with { });

        Assert.Equal(OutcomeKind.Unanswered, resent.Kind);
        Assert.IsType<UnauthorizedError>(resent.Error);
        Assert.Equal((OutcomeKind.Succeeded, true, 700L), (settled.Kind, settled.IsReplay, settled.BalanceAfter!.Value));
        Assert.Equal(700, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task GetTransfer_AnswerWithANullWhereTheApiWritesAString_FailedAsUnexpected_NeverAFoundTransfer()
    {
        // A middlebox's or a broken server's 200: a null account name inside a "found" transfer would
        // surface much later, in the caller's code, far from the answer that caused it.
        var transferId = Guid.CreateVersion7();
        await using var harness = new ClientHarness(fixture.FrontEndA, pathSuffix: $"/transfers/{transferId}");
        harness.Wire.ReplaceResponsesWithJson(1,
            $$"""{"transferId":"{{transferId}}","from":null,"to":"b","amount":5,"status":"completed","createdAt":"2026-11-29T00:00:00Z"}""");

        var lookup = await harness.Client.GetTransferAsync(transferId);

        Assert.Equal(LookupKind.Failed, lookup.Kind);
        Assert.Null(lookup.Transfer);
        Assert.IsType<UnexpectedResponseError>(lookup.Error);
    }

    [Fact]
    public async Task GetOperation_AnswerIsTheRecordOfAnotherOperation_FailedAsUnexpected_NeverFound()
    {
        // A cache or proxy that mixes up answers: another key's record must never settle this one (a
        // resolution would report the other operation's outcome for a withdrawal that may not have run).
        var operationId = Guid.CreateVersion7();
        await using var harness = new ClientHarness(fixture.FrontEndA, pathSuffix: $"/operations/{operationId}");
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.ReplaceResponsesWithJson(1,
            $$"""{"operationId":"{{Guid.CreateVersion7()}}","accountId":"{{accountId}}","kind":"withdrawal","amount":100,"balanceAfter":900,"status":"succeeded"}""");

        var lookup = await harness.Client.GetOperationAsync(accountId, operationId);

        Assert.Equal(LookupKind.Failed, lookup.Kind);
        Assert.Null(lookup.Operation);
        Assert.IsType<UnexpectedResponseError>(lookup.Error);
    }

    [Fact]
    public async Task GetTransfer_AnswerIsTheRecordOfAnotherTransfer_FailedAsUnexpected_NeverFound()
    {
        var transferId = Guid.CreateVersion7();
        await using var harness = new ClientHarness(fixture.FrontEndA, pathSuffix: $"/transfers/{transferId}");
        harness.Wire.ReplaceResponsesWithJson(1,
            $$"""{"transferId":"{{Guid.CreateVersion7()}}","from":"a","to":"b","amount":5,"status":"completed","createdAt":"2026-11-29T00:00:00Z"}""");

        var lookup = await harness.Client.GetTransferAsync(transferId);

        Assert.Equal(LookupKind.Failed, lookup.Kind);
        Assert.Null(lookup.Transfer);
        Assert.IsType<UnexpectedResponseError>(lookup.Error);
    }

    [Fact]
    public async Task Withdraw_AnswerUnreadable_NeverRejected_TheLookupFindsTheDebit()
    {
        // A 200 whose body is not the API's (a middlebox) means something ran: it is looked up, not reported as a rejection.
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.GarbleResponses(1);

        var outcome = await harness.Client.WithdrawAsync(accountId, 300);

        Assert.Equal((OutcomeKind.Succeeded, true, 700L), (outcome.Kind, outcome.ResolvedByLookup, outcome.BalanceAfter!.Value));
        Assert.Equal(700, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_Answered204AfterTheServerRanIt_NeverRejected_TheLookupFindsTheDebit()
    {
        // Any 2xx means something ran: a proxy's 204 is not the API's answer, and "executed nothing" would be false.
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.ReplaceResponses(1, () => new HttpResponseMessage(HttpStatusCode.NoContent));

        var outcome = await harness.Client.WithdrawAsync(accountId, 300);

        Assert.Equal((OutcomeKind.Succeeded, true, 700L), (outcome.Kind, outcome.ResolvedByLookup, outcome.BalanceAfter!.Value));
        Assert.Equal(700, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Transfer_Answered200InsteadOf202_NeverRejected_TheLookupFindsIt()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA, pathSuffix: "/transfers");
        var from = await harness.OpenWithBalanceAsync(1000);
        var to = await harness.OpenWithBalanceAsync(0);
        harness.Wire.ReplaceResponsesWithJson(1, "{}");

        var outcome = await harness.Client.TransferAsync(from, to, 300);

        Assert.Equal((OutcomeKind.Succeeded, true), (outcome.Kind, outcome.ResolvedByLookup));
        Assert.Equal(700, await harness.BalanceAsync(from));
    }

    [Fact]
    public async Task Withdraw_AnswerInACharsetDotNetDoesNotKnow_AfterTheServerRanIt_RetriedWithTheSameKey_NotThrown()
    {
        // A proxy's 502 page naming an unknown charset: ReadAsStringAsync would throw after the debit
        // committed, losing the key. It is read leniently, retried (502) and answered by the replay.
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.ReplaceResponses(1, () =>
        {
            var page = new ByteArrayContent("<html>bad gateway</html>"u8.ToArray());
            page.Headers.ContentType = MediaTypeHeaderValue.Parse("text/html; charset=x-bogus");
            return new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = page };
        });

        var outcome = await harness.Client.WithdrawAsync(accountId, 300);

        Assert.Equal((OutcomeKind.Succeeded, true, 700L), (outcome.Kind, outcome.IsReplay, outcome.BalanceAfter!.Value));
        Assert.Equal(700, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_CallerCancelsAsTheAttemptTimesOut_ThrowsOutcomeUnknownWithTheRequest_NotTheTimeout()
    {
        // Both deadlines fire together and the attempt's timeout is the exception that surfaces: it must
        // still carry the request, or the caller loses the key of a debit that committed.
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        using var caller = new CancellationTokenSource();
        harness.Wire.CancelCallerThenTimeOut(caller);

        var unknown = await Assert.ThrowsAsync<OutcomeUnknownException>(() => harness.Client.WithdrawAsync(accountId, 300, caller.Token));
        var settled = await harness.Client.SendAsync(Assert.IsType<OperationRequest>(unknown.Request));

        Assert.Equal((OutcomeKind.Succeeded, true, 700L), (settled.Kind, settled.IsReplay, settled.BalanceAfter!.Value));
        Assert.Equal(700, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_CancelledWhileItsAnswerHangs_ThrowsOutcomeUnknownWithTheRequest_ResendingItSettlesItOnce()
    {
        // The caller's deadline fires after the debit committed: the exception carries the request, so
        // the caller resends it (same key) instead of starting a new withdrawal.
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        using var deadline = new CancellationTokenSource();
        harness.Wire.HangResponses(1, cancelWhenHanging: deadline);

        var unknown = await Assert.ThrowsAsync<OutcomeUnknownException>(() => harness.Client.WithdrawAsync(accountId, 300, deadline.Token));
        var request = Assert.IsType<OperationRequest>(unknown.Request);
        var settled = await harness.Client.SendAsync(request);

        Assert.Equal(request.OperationId, unknown.Key);
        Assert.True(unknown.CancellationToken.IsCancellationRequested);
        Assert.Equal((OutcomeKind.Succeeded, true, 700L), (settled.Kind, settled.IsReplay, settled.BalanceAfter!.Value));
        Assert.Equal(700, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_ObserverThrowsOnTheAnswer_KeyedRequestFailedCarriesTheRequest_ResendingItDebitsOnce()
    {
        // The debit committed and its answer arrived; then the application's observer threw. WithdrawAsync
        // made the key itself: a raw exception would carry it away, and a retry under a new key debit twice.
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Observer.ThrowOnAnswers(1);

        var failed = await Assert.ThrowsAsync<KeyedRequestFailedException>(() => harness.Client.WithdrawAsync(accountId, 300));
        var request = Assert.IsType<OperationRequest>(failed.Request);
        var settled = await harness.Client.SendAsync(request);

        Assert.IsType<InvalidOperationException>(Assert.IsType<ObserverFailedException>(failed.InnerException).InnerException);
        Assert.Equal(request.OperationId, failed.Key);
        Assert.Equal((OutcomeKind.Succeeded, true, 700L), (settled.Kind, settled.IsReplay, settled.BalanceAfter!.Value));
        Assert.Equal(700, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_ObserverThrowsAConnectionErrorOnTheAnswer_NotTakenForALostAnswer_TheAnswerIsNotRetried()
    {
        // An observer's HttpRequestException is not the attempt's: taken for a lost connection, the answer
        // would be discarded and the request sent again (and the observer fed an attempt that never failed).
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        var sentBefore = harness.Wire.Attempts.Count;
        harness.Observer.ThrowOnAnswers(1, () => new HttpRequestException("Injected: the observer's own call failed."));

        var failed = await Assert.ThrowsAsync<KeyedRequestFailedException>(() => harness.Client.WithdrawAsync(accountId, 300));

        Assert.IsType<HttpRequestException>(Assert.IsType<ObserverFailedException>(failed.InnerException).InnerException);
        Assert.Single(harness.Wire.Attempts.Skip(sentBefore));
        Assert.DoesNotContain(harness.Observer.Attempts, a => a.Result == AttemptResult.ConnectionFailed);
        Assert.Equal(700, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Deposit_HandlerThrowsAfterTheServerAnswered_KeyedRequestFailedCarriesTheRequest_ResendingItCreditsOnce()
    {
        // A handler of the application's (added through the builder) fails after the credit committed.
        await using var harness = new ClientHarness(fixture.FrontEndA, pathSuffix: "/deposits");
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.ThrowAfterServer(1);

        var failed = await Assert.ThrowsAsync<KeyedRequestFailedException>(() => harness.Client.DepositAsync(accountId, 50));
        var settled = await harness.Client.SendAsync(Assert.IsType<OperationRequest>(failed.Request));

        Assert.Equal((OutcomeKind.Succeeded, true, 1050L), (settled.Kind, settled.IsReplay, settled.BalanceAfter!.Value));
        Assert.Equal(1050, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_AccessTokenProviderHangsIgnoringTheToken_EachAttemptTimesOut_NothingSentAndTheCallEnds()
    {
        // Set up with the defaults (a loaded machine may need seconds); only the call under test has short attempts.
        await using var setup = new ClientHarness(fixture.FrontEndA);
        var accountId = await setup.OpenWithBalanceAsync(1000);
        var never = new TaskCompletionSource<string?>();
        await using var harness = new ClientHarness(fixture.FrontEndA, options =>
        {
            options.MaxAttempts = 2;
            options.AttemptTimeout = TimeSpan.FromMilliseconds(300);
            options.AccessTokenProvider = _ => new ValueTask<string?>(never.Task);
        });

        var outcome = await harness.Client.WithdrawAsync(accountId, 100).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(OutcomeKind.Unanswered, outcome.Kind);
        Assert.Equal(2, outcome.Attempts);
        Assert.Equal([AttemptResult.Timeout, AttemptResult.Timeout],
            harness.Observer.Attempts.Where(a => a.Request == RequestKind.Operation).Select(a => a.Result));
        Assert.Empty(harness.Wire.Attempts);
        Assert.Equal(1000, await setup.BalanceAsync(accountId));
    }

    [Fact]
    public async Task ServiceHanging_FirstAttemptsOfDifferentOperationsTimeOut_OpenTheBreaker_TheNextIsNotSent()
    {
        // A stalled service is the breaker's case: attempts that time out count as failures. Set up with
        // the defaults; the client under test has its own breaker and short attempts.
        await using var setup = new ClientHarness(fixture.FrontEndA);
        var accountId = await setup.OpenWithBalanceAsync(1000);
        await using var harness = new ClientHarness(fixture.FrontEndA, options =>
        {
            options.MaxAttempts = 1;
            options.ResolveUnanswered = false;
            options.AttemptTimeout = TimeSpan.FromMilliseconds(500);
            options.CircuitBreakerMinimumThroughput = 2;
            options.CircuitBreakerFailureRatio = 0.5;
            options.CircuitBreakerBreakDuration = TimeSpan.FromSeconds(30);
        });
        harness.Wire.HangResponses(100);

        // Two operations whose only attempt times out: all failed, at the minimum throughput.
        var results = new List<AttemptResult>();
        for (var i = 0; i < 3; i++)
        {
            await harness.Client.WithdrawAsync(accountId, 10);
            results.Add(harness.Observer.Attempts[^1].Result);
        }

        Assert.Equal([AttemptResult.Timeout, AttemptResult.Timeout, AttemptResult.CircuitOpen], results);
        Assert.Equal(2, harness.Wire.Attempts.Count);
    }

    [Fact]
    public void TransferInfo_StatusThisClientDoesNotKnow_NotTakenForFinished()
    {
        TransferInfo With(TransferStatus status) => new(Guid.CreateVersion7(), "a", "b", 1, status, DateTimeOffset.UtcNow, null);

        Assert.False(With(TransferStatus.Unknown).IsFinished);
        Assert.False(With(TransferStatus.Pending).IsFinished);
        Assert.True(With(TransferStatus.Completed).IsFinished);
        Assert.True(With(TransferStatus.Refunded).IsFinished);
        Assert.False(new TransferLookup(LookupKind.Found, With(TransferStatus.Unknown), null, "200").IsFinal);
    }

    [Fact]
    public async Task Withdraw_StorageUnavailableWithRetryAfter_WaitsRetryAfterThenGetsTheCommittedOutcome()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        StorageFaults.Arm(accountId, StorageFault.FailAfterWrite);

        var outcome = await harness.Client.WithdrawAsync(accountId, 100);

        Assert.Equal(OutcomeKind.Succeeded, outcome.Kind);
        Assert.True(outcome.IsReplay);
        Assert.Equal(900, outcome.BalanceAfter);
        Assert.Equal(2, outcome.Attempts);
        var sent = harness.Wire.Attempts.Where(a => a.Path.EndsWith("/withdrawals", StringComparison.Ordinal)).ToList();
        // The backoff alone would be 5-10 ms; the front end's Retry-After: 1 holds the retry back a second.
        Assert.True(sent[1].At - sent[0].At >= TimeSpan.FromMilliseconds(950), $"retried after {(sent[1].At - sent[0].At).TotalMilliseconds:0} ms");
        Assert.Equal(900, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_StorageUnavailableOnItsOnlyAttempt_TheErrorCarriesTheServicesRetryAfter()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA, options => options.MaxAttempts = 1);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        StorageFaults.Arm(accountId, StorageFault.FailBeforeWrite);

        var outcome = await harness.Client.WithdrawAsync(accountId, 100);

        Assert.Equal(OutcomeKind.NotExecuted, outcome.Kind);
        var unavailable = Assert.IsType<StorageUnavailableError>(outcome.Error);
        Assert.Equal(TimeSpan.FromSeconds(1), unavailable.Problem.RetryAfter);
        Assert.Equal(1000, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_InsufficientFunds_RecordedOutcomeReplayedEvenAfterDeposit()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = await harness.OpenWithBalanceAsync(100);

        var refused = await harness.Client.WithdrawAsync(accountId, 500);
        var deposit = await harness.Client.DepositAsync(accountId, 1000);
        Assert.Equal(OutcomeKind.Succeeded, deposit.Kind);
        var retried = await harness.Client.SendAsync(refused.Request);

        Assert.Equal(OutcomeKind.InsufficientFunds, refused.Kind);
        Assert.Equal(100, Assert.IsType<InsufficientFundsError>(refused.Error).Balance);
        Assert.Equal(OutcomeKind.InsufficientFunds, retried.Kind);
        Assert.True(retried.IsReplay);
        Assert.Equal(refused.Body, retried.Body);
        Assert.Equal(1100, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task ProblemAnswers_EachBecomesItsTypedError()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var client = harness.Client;
        var accountId = await harness.OpenWithBalanceAsync(1000);
        var first = await client.WithdrawAsync(accountId, 10);

        var missingAccount = await client.WithdrawAsync(Http.NewAccountId(), 10);
        var zero = await client.DepositAsync(accountId, 0);
        var badId = await client.DepositAsync("not an id", 10);
        var reused = await client.SendAsync(first.Request with { Amount = 11 });
        var expired = await client.SendAsync(new OperationRequest(accountId, Guid.CreateVersion7(DateTimeOffset.UtcNow.AddDays(-3)), OperationKind.Deposit, 10));
        var future = await client.SendAsync(new OperationRequest(accountId, Guid.CreateVersion7(DateTimeOffset.UtcNow.AddDays(1)), OperationKind.Deposit, 10));
        var unknownOperation = await client.GetOperationAsync(accountId, Guid.CreateVersion7());
        var unknownTransfer = await client.GetTransferAsync(Guid.CreateVersion7());
        var sameAccount = await client.TransferAsync(accountId, accountId, 10);
        var missing = await client.GetAccountAsync(Http.NewAccountId());

        Assert.IsType<AccountNotFoundError>(missingAccount.Error);
        Assert.Equal(OutcomeKind.Rejected, missingAccount.Kind);
        Assert.IsType<InvalidAmountError>(zero.Error);
        Assert.IsType<InvalidAccountIdError>(badId.Error);
        Assert.IsType<IdempotencyKeyReusedError>(reused.Error);
        Assert.IsType<IdempotencyKeyExpiredError>(expired.Error);
        Assert.Equal(409, expired.StatusCode);
        Assert.IsType<IdempotencyKeyMalformedError>(future.Error);
        Assert.Equal(LookupKind.NotFound, unknownOperation.Kind);
        Assert.IsType<OperationNotFoundError>(unknownOperation.Error);
        Assert.Equal(LookupKind.NotFound, unknownTransfer.Kind);
        Assert.IsType<TransferNotFoundError>(unknownTransfer.Error);
        Assert.IsType<InvalidRequestError>(sameAccount.Error);
        Assert.IsType<AccountNotFoundError>(missing.Error);
        Assert.Equal(990, (await client.GetAccountAsync(accountId)).Account!.Balance);
        // Every rejection was a final answer: one attempt each, nothing retried.
        Assert.All(new[] { missingAccount, zero, badId, reused, expired, future }, outcome => Assert.Equal(1, outcome.Attempts));
    }

    [Fact]
    public void EveryProblemCodeOfTheApi_HasItsOwnErrorType_AndUnknownCodesAGenericOne()
    {
        foreach (var problem in ApiProblem.All)
        {
            var body = $$"""{"type":"{{problem.Type}}","title":"{{problem.Title}}","status":{{problem.Status}},"detail":"d"}""";
            var error = ApiError.FromResponse(problem.Status, body);
            Assert.IsNotType<UnknownApiError>(error);
            Assert.Equal(problem.Code, error.Code);
            Assert.Equal("d", error.Message);
        }

        var future = ApiError.FromResponse(418, """{"type":"urn:reliable-messaging:problem:brand-new","status":418}""");
        var proxy = ApiError.FromResponse(502, "<html>Bad Gateway</html>");
        var other = ApiError.FromResponse(401, """{"type":"https://example.invalid/unauthorized"}""");

        Assert.Equal("brand-new", Assert.IsType<UnknownApiError>(future).Code);
        Assert.Equal("http-502", Assert.IsType<UnknownApiError>(proxy).Code);
        Assert.True(proxy.IsTransient);
        Assert.True(ApiError.FromResponse(504, "").IsTransient);
        Assert.Equal("http-401", Assert.IsType<UnknownApiError>(other).Code);
        Assert.False(other.IsTransient);
    }

    [Fact]
    public async Task Transfer_NoAnswer_LookupSaysNotConfirmed_SentAgainWithTheSameIdAndSettled()
    {
        // The start was received but its source has no debit for it (here the source is not open): the
        // look-up answers 409 transfer-not-confirmed, "repeat the POST with the same key". The client
        // does, once, and that answer settles the call instead of leaving it unanswered.
        await using var harness = new ClientHarness(fixture.FrontEndA, options => options.MaxAttempts = 1, pathSuffix: "/transfers");
        var to = await harness.OpenWithBalanceAsync(0);
        harness.Wire.DropResponses(1);

        var outcome = await harness.Client.TransferAsync($"never-opened-{Guid.NewGuid():N}", to, 10);

        Assert.Equal((OutcomeKind.Rejected, 2), (outcome.Kind, outcome.Attempts));
        Assert.IsType<AccountNotFoundError>(outcome.Error);
        Assert.Contains(harness.Observer.Attempts, a => a.Request == RequestKind.GetTransfer && a.StatusCode == 409);
        // Sent again only after the look-up's Retry-After (1 s), as the service asked: not at once.
        var lookup = harness.Wire.Attempts.Single(a => a.Method == "GET" && a.Path.Contains("/transfers/", StringComparison.Ordinal));
        var resent = harness.Wire.Attempts.Last(a => a.Method == "POST" && a.Path.EndsWith("/transfers", StringComparison.Ordinal));
        Assert.True(resent.At - lookup.At >= TimeSpan.FromMilliseconds(950), $"sent again {(resent.At - lookup.At).TotalMilliseconds:0} ms after the look-up");
        Assert.Equal(0, await harness.BalanceAsync(to));
    }

    [Fact]
    public async Task Transfer_SentTwiceWithTheSameId_AcceptedOnceAndReplayed()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA, pathSuffix: "/transfers");
        var from = await harness.OpenWithBalanceAsync(1000);
        var to = await harness.OpenWithBalanceAsync(0);
        harness.Wire.DropResponses(1);

        var accepted = await harness.Client.TransferAsync(from, to, 300);
        var again = await harness.Client.SendAsync(accepted.Request);
        var status = await WaitFinishedAsync(harness.Client, accepted.Request.TransferId);

        Assert.Equal(OutcomeKind.Succeeded, accepted.Kind);
        Assert.True(accepted.IsReplay);
        Assert.Equal(2, accepted.Attempts);
        Assert.True(again.IsReplay);
        Assert.Equal(TransferStatus.Completed, status.Transfer!.Status);
        Assert.Equal(700, await harness.BalanceAsync(from));
        Assert.Equal(300, await harness.BalanceAsync(to));
    }

    [Fact]
    public async Task AccessTokenProvider_AskedForEveryAttemptAndSentAsBearer()
    {
        var issued = 0;
        await using var harness = new ClientHarness(fixture.FrontEndA, options =>
            options.AccessTokenProvider = _ => ValueTask.FromResult<string?>(
                FrontEndFactory.Token(ApiScopes.All, subject: $"token-{Interlocked.Increment(ref issued)}")));
        var accountId = await harness.OpenWithBalanceAsync(1000);
        var before = harness.Wire.Attempts.Count;
        harness.Wire.DropResponses(1);

        await harness.Client.WithdrawAsync(accountId, 1);

        var withdrawals = harness.Wire.Attempts.Skip(before).Select(a => a.Authorization).ToList();
        Assert.Equal(2, withdrawals.Count);
        Assert.All(withdrawals, header => Assert.StartsWith("Bearer ey", header, StringComparison.Ordinal));
        Assert.NotEqual(withdrawals[0], withdrawals[1]);
    }

    [Fact]
    public async Task ConnectionsFailing_RetriesBackOffOutsideTheBreaker_TheLookupSettlesItAndTheKeyNeverRan()
    {
        // Only first attempts pass the breaker: one call's retries sample its own account again, and a
        // breaker counting them would open on one stalled account. They are bounded by the call's attempts.
        await using var harness = new ClientHarness(fixture.FrontEndA, options =>
        {
            options.MaxAttempts = 4;
            options.CircuitBreakerMinimumThroughput = 2;
            options.CircuitBreakerFailureRatio = 0.5;
            options.CircuitBreakerBreakDuration = TimeSpan.FromSeconds(30);
        });
        var accountId = await harness.OpenWithBalanceAsync(1000);
        var sentBefore = harness.Wire.Attempts.Count;
        harness.Wire.RefuseRequests(100);

        var outcome = await harness.Client.WithdrawAsync(accountId, 100);

        var withdrawals = harness.Observer.Attempts.Where(a => a.Request == RequestKind.Operation).TakeLast(4).Select(a => a.Result).ToList();
        Assert.Equal([AttemptResult.ConnectionFailed, AttemptResult.ConnectionFailed, AttemptResult.ConnectionFailed, AttemptResult.ConnectionFailed], withdrawals);
        var sent = harness.Wire.Attempts.Skip(sentBefore).ToList();
        Assert.Equal(4, sent.Count(a => a.Path.EndsWith("/withdrawals", StringComparison.Ordinal)));
        // The look-up that settles it is a follow-up too: sent, and it answers that the key never ran.
        Assert.Contains(sent, a => a.Path.Contains("/operations/", StringComparison.Ordinal));
        Assert.Equal((OutcomeKind.NotExecuted, true), (outcome.Kind, outcome.ResolvedByLookup));
        Assert.Equal(1000, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task ServiceFailing_FirstAttemptsOfDifferentOperations_OpenTheBreaker_TheNextIsNotSent()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA, OneAttemptBreakerOpeningAtTwoFailures);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.RefuseRequests(100);

        // Two successes (open, deposit), then two operations whose only attempt fails: half failed.
        var results = new List<AttemptResult>();
        for (var i = 0; i < 3; i++)
        {
            await harness.Client.WithdrawAsync(accountId, 10);
            results.Add(harness.Observer.Attempts[^1].Result);
        }

        Assert.Equal([AttemptResult.ConnectionFailed, AttemptResult.ConnectionFailed, AttemptResult.CircuitOpen], results);
    }

    [Fact]
    public async Task OneAccountFailing_ItsRetriesNeverOpenTheBreakerOnOtherAccounts()
    {
        // A silo that stalls fails its own accounts, and their calls are retried over and over. Those
        // retries sample the same failure again: they must not refuse the accounts that work.
        await using var harness = new ClientHarness(fixture.FrontEndA, options =>
        {
            options.MaxAttempts = 6;
            options.ResolveUnanswered = false;
            options.CircuitBreakerMinimumThroughput = 4;
            options.CircuitBreakerFailureRatio = 0.5;
            options.CircuitBreakerBreakDuration = TimeSpan.FromSeconds(3);
        });
        var stalled = await harness.OpenWithBalanceAsync(1000);
        var healthy = await harness.OpenWithBalanceAsync(1000);
        harness.Wire.RefuseAccount(stalled);

        // Its six attempts all go out and fail. A breaker counting every attempt would have opened on
        // them (four failures against four successes) and refused the next account's first attempt.
        var stalledOutcome = await harness.Client.WithdrawAsync(stalled, 100);
        Assert.Equal((OutcomeKind.Unanswered, 6), (stalledOutcome.Kind, stalledOutcome.Attempts));
        Assert.DoesNotContain(harness.Observer.Attempts, a => a.Result == AttemptResult.CircuitOpen);

        var sentBefore = harness.Wire.Attempts.Count;
        var healthyOutcome = await harness.Client.WithdrawAsync(healthy, 10);

        Assert.Equal((OutcomeKind.Succeeded, 990L), (healthyOutcome.Kind, healthyOutcome.BalanceAfter));
        Assert.Equal(1, healthyOutcome.Attempts);
        Assert.Single(harness.Wire.Attempts.Skip(sentBefore));

        // While the stalled account keeps failing, a healthy account whose first attempt is lost is
        // retried at once, not held behind a breaker that the stalled account's retries opened.
        var stalledAgain = harness.Client.WithdrawAsync(stalled, 100);
        harness.Wire.RefuseRequests(1);
        var retried = await harness.Client.WithdrawAsync(healthy, 10);
        Assert.Equal((OutcomeKind.Succeeded, 980L, 2), (retried.Kind, retried.BalanceAfter, retried.Attempts));
        Assert.Equal(OutcomeKind.Unanswered, (await stalledAgain).Kind);
    }

    [Fact]
    public async Task OpenAccount_CreatedThenAlreadyOpen()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = Http.NewAccountId();

        var first = await harness.Client.OpenAccountAsync(accountId);
        var second = await harness.Client.OpenAccountAsync(accountId);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(new AccountInfo(accountId, 0, 1), second.Account);
        Assert.True(await harness.Client.IsReadyAsync());
    }

    [Fact]
    public void ApiError_ProblemFieldsWithLoneSurrogates_ReadAsAbsent_NeverThrows()
    {
        // JsonDocument parses an escaped lone surrogate; only reading the string refuses it.
        var unknown = ApiError.FromResponse(503, """{"type":"\uDC00","title":"\uD800"}""", TimeSpan.FromSeconds(1));
        var known = ApiError.FromResponse(503, """{"type":"urn:reliable-messaging:problem:storage-unavailable","detail":"\uDC00"}""");

        Assert.Equal("http-503", Assert.IsType<UnknownApiError>(unknown).Code);
        Assert.True(unknown.IsTransient);
        Assert.Null(unknown.Problem.Title);
        Assert.Null(Assert.IsType<StorageUnavailableError>(known).Problem.Detail);
    }

    [Fact]
    public void TransferLookup_NotFound_IsNotFinal_AnAttemptOnItsWayCanStillStartIt()
    {
        Assert.False(new TransferLookup(LookupKind.NotFound, null, null, "404 transfer-not-found").IsFinal);
    }

    [Fact]
    public async Task Withdraw_AnswerLargerThanTheClientReads_FailsTheAttemptLikeALostConnection_RetryReplaysAndDebitsOnce()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        // The server debits; a gateway answers with 2 MiB instead of its answer.
        harness.Wire.ReplaceResponses(1, () => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(new string('x', 2 * ReliableMessagingClientServiceCollectionExtensions.MaxResponseBytes)),
        });
        var earlier = harness.Observer.Attempts.Count;

        var outcome = await harness.Client.WithdrawAsync(accountId, 100);

        Assert.Equal((OutcomeKind.Succeeded, true, 900L), (outcome.Kind, outcome.IsReplay, outcome.BalanceAfter!.Value));
        Assert.Equal([AttemptResult.ConnectionFailed, AttemptResult.Answered], harness.Observer.Attempts.Skip(earlier).Select(a => a.Result));
        Assert.Equal(900, await harness.BalanceAsync(accountId));
    }

    [Fact]
    public async Task Withdraw_AnsweredWithALongMultiLineBody_DetailIsOneShortLine_BodyKeptWhole()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA, options => options.ResolveUnanswered = false);
        var accountId = await harness.OpenWithBalanceAsync(1000);
        var page = string.Concat(Enumerable.Repeat("<p>a proxy's page\r\n</p>\u2028\n", 500));
        harness.Wire.ReplaceResponses(1, () => new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent(page) });

        var outcome = await harness.Client.WithdrawAsync(accountId, 100);

        Assert.Equal(OutcomeKind.Unanswered, outcome.Kind);
        Assert.StartsWith("201 instead of 200: <p>a proxy's page", outcome.Detail, StringComparison.Ordinal);
        Assert.True(outcome.Detail.Length < 300, outcome.Detail);
        Assert.DoesNotContain('\n', outcome.Detail);
        Assert.DoesNotContain('\r', outcome.Detail);
        Assert.DoesNotContain('\u2028', outcome.Detail);
        Assert.Equal(page, Assert.IsType<UnexpectedResponseError>(outcome.Error).Problem.Body);
    }

    [Fact]
    public async Task GetAccount_AnsweredWithAnotherAccountsBalance_UnexpectedResponse_NeverShownAsThisOnes()
    {
        var accountId = Http.NewAccountId();
        await using var harness = new ClientHarness(fixture.FrontEndA, pathSuffix: "/accounts/" + accountId);
        Assert.True((await harness.Client.OpenAccountAsync(accountId)).Succeeded);
        harness.Wire.ReplaceResponsesWithJson(1, """{"accountId":"someone-else","balance":123456,"version":9}""");

        var read = await harness.Client.GetAccountAsync(accountId);

        Assert.False(read.Succeeded);
        Assert.Null(read.Account);
        Assert.IsType<UnexpectedResponseError>(read.Error);
        Assert.Equal(0, (await harness.Client.GetAccountAsync(accountId)).Account!.Balance);
    }

    [Fact]
    public async Task GetAccount_CallerCancelsAsTheAttemptTimesOut_ThrowsACancellation_NotPollysTimeout()
    {
        var accountId = Http.NewAccountId();
        await using var harness = new ClientHarness(fixture.FrontEndA, pathSuffix: "/accounts/" + accountId);
        Assert.True((await harness.Client.OpenAccountAsync(accountId)).Succeeded);
        using var caller = new CancellationTokenSource();
        harness.Wire.CancelCallerThenTimeOut(caller);

        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Client.GetAccountAsync(accountId, caller.Token));

        Assert.Equal(caller.Token, cancelled.CancellationToken);
        Assert.IsType<Polly.Timeout.TimeoutRejectedException>(cancelled.InnerException);
    }

    [Fact]
    public async Task Send_RequestWithoutAnAccount_RefusedBeforeAnythingIsSent_NotTakenForOneThatMayHaveRun()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA);

        await Assert.ThrowsAsync<ArgumentNullException>(() => harness.Client.SendAsync(new OperationRequest(null!, Guid.CreateVersion7(), OperationKind.Deposit, 5)));
        await Assert.ThrowsAsync<ArgumentNullException>(() => harness.Client.SendAsync(new TransferRequest(Guid.CreateVersion7(), "a", null!, 5)));

        Assert.Empty(harness.Wire.Attempts);
    }

    [Fact]
    public async Task IsReady_WhileTheBreakerIsOpen_StillAsksTheService_AndItsFailuresNeverOpenIt()
    {
        await using var harness = new ClientHarness(fixture.FrontEndA, OneAttemptBreakerOpeningAtTwoFailures, pathSuffix: "/health/ready");
        // Readiness probes that fail (a deploy in progress) are not the operations' failures.
        harness.Wire.RefuseRequests(5);
        for (var i = 0; i < 5; i++)
        {
            Assert.False(await harness.Client.IsReadyAsync());
        }

        var accountId = await harness.OpenWithBalanceAsync(1000);
        Assert.Equal(AttemptResult.Answered, harness.Observer.Attempts[^1].Result);

        // Now the operations open the breaker; readiness is still asked of the service.
        harness.Wire.RefuseAccount(accountId);
        await harness.Client.WithdrawAsync(accountId, 10);
        await harness.Client.WithdrawAsync(accountId, 10);
        await harness.Client.WithdrawAsync(accountId, 10);
        Assert.Equal(AttemptResult.CircuitOpen, harness.Observer.Attempts[^1].Result);
        var probes = harness.Wire.Attempts.Count(a => a.Path == "/health/ready");

        Assert.True(await harness.Client.IsReadyAsync());
        Assert.Equal(probes + 1, harness.Wire.Attempts.Count(a => a.Path == "/health/ready"));
    }

    /// <summary>One attempt per call, no look-up, and a breaker that opens once half of at least two first attempts failed.</summary>
    private static void OneAttemptBreakerOpeningAtTwoFailures(ReliableMessagingClientOptions options)
    {
        options.MaxAttempts = 1;
        options.ResolveUnanswered = false;
        options.CircuitBreakerMinimumThroughput = 2;
        options.CircuitBreakerFailureRatio = 0.5;
        options.CircuitBreakerBreakDuration = TimeSpan.FromSeconds(30);
    }

    private static async Task<TransferLookup> WaitFinishedAsync(ReliableMessagingClient client, Guid transferId)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var lookup = await client.GetTransferAsync(transferId);
            if (lookup.IsFinal || clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                return lookup;
            }

            // Delivery is asynchronous (the source's outbox); polling is what a client does too.
            await Task.Delay(100);
        }
    }
}
