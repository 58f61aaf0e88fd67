using System.Net;
using ReliableMessaging.Testing;
using static ReliableMessaging.Api.Tests.Http;

namespace ReliableMessaging.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class AccountsApiTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.FrontEndA.CreateClient();

    [Fact]
    public async Task PutAccount_FirstTimeCreatedThenOk()
    {
        var accountId = NewAccountId();

        using var first = await OpenAsync(_client, accountId);
        using var second = await OpenAsync(_client, accountId);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal($"/accounts/{accountId}", first.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal($$"""{"accountId":"{{accountId}}","balance":0,"version":1}""", Canonical(await JsonAsync(second)));
    }

    [Fact]
    public async Task GetAccount_ReturnsBalanceAndVersion_404WhenNeverOpened()
    {
        var accountId = await OpenWithBalanceAsync(_client, 1250);

        using var found = await _client.GetAsync(new Uri($"/accounts/{accountId}", UriKind.Relative));
        using var missing = await _client.GetAsync(new Uri($"/accounts/{NewAccountId()}", UriKind.Relative));

        Assert.Equal($$"""{"accountId":"{{accountId}}","balance":1250,"version":2}""", Canonical(await JsonAsync(found)));
        await AssertProblemAsync(missing, HttpStatusCode.NotFound, "account-not-found");
    }

    [Fact]
    public async Task Withdraw_SameKeyTwice_DebitsOnceAndReplaysSameStatusAndBody()
    {
        var accountId = await OpenWithBalanceAsync(_client, 1000);
        var key = NewKey();

        using var first = await WithdrawAsync(_client, accountId, key, 250);
        using var retry = await WithdrawAsync(_client, accountId, key, 250);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(IsReplayed(first));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.True(IsReplayed(retry));
        var body = await first.Content.ReadAsStringAsync();
        Assert.Equal(body, await retry.Content.ReadAsStringAsync());
        Assert.Equal(
            $$"""{"operationId":"{{key}}","accountId":"{{accountId}}","kind":"withdrawal","amount":250,"balanceAfter":750,"status":"succeeded"}""",
            body);
        Assert.Equal(750L, await BalanceAsync(_client, accountId));
    }

    [Fact]
    public async Task Deposit_StructuredFieldKeyForm_SameOperationAsBareForm()
    {
        var accountId = await OpenWithBalanceAsync(_client, 0);
        var key = NewKey();

        using var quoted = await DepositAsync(_client, accountId, $"\"{key}\"", 40);
        using var bare = await DepositAsync(_client, accountId, key, 40);

        Assert.Equal(HttpStatusCode.OK, quoted.StatusCode);
        Assert.True(IsReplayed(bare));
        Assert.Equal(await quoted.Content.ReadAsStringAsync(), await bare.Content.ReadAsStringAsync());
        Assert.Equal(key, (string?)(await JsonAsync(bare))["operationId"]);
        Assert.Equal(40L, await BalanceAsync(_client, accountId));
    }

    [Fact]
    public async Task Withdraw_InsufficientFunds_Replayed422EvenAfterDeposit()
    {
        var accountId = await OpenWithBalanceAsync(_client, 100);
        var key = NewKey();

        using var refused = await WithdrawAsync(_client, accountId, key, 150);
        var problem = await AssertProblemAsync(refused, (HttpStatusCode)422, "insufficient-funds");
        using var deposit = await DepositAsync(_client, accountId, NewKey(), 1000);
        Assert.Equal(HttpStatusCode.OK, deposit.StatusCode);
        using var retry = await WithdrawAsync(_client, accountId, key, 150);

        await AssertProblemAsync(retry, (HttpStatusCode)422, "insufficient-funds");
        Assert.True(IsReplayed(retry));
        Assert.False(IsReplayed(refused));
        Assert.Equal(await refused.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(100, (long)problem["balance"]!);
        Assert.Equal(key, (string?)problem["operationId"]);
        Assert.Equal(1100L, await BalanceAsync(_client, accountId));
    }

    [Theory]
    [InlineData("deposits", 100)]
    [InlineData("withdrawals", 101)]
    public async Task SameKeyOtherKindOrAmount_422IdempotencyKeyReused(string otherPath, long otherAmount)
    {
        var accountId = await OpenWithBalanceAsync(_client, 1000);
        var key = NewKey();
        using var first = await WithdrawAsync(_client, accountId, key, 100);

        using var reused = await PostAsync(_client, $"/accounts/{accountId}/{otherPath}", key, $$"""{"amount": {{otherAmount}}}""");

        await AssertProblemAsync(reused, (HttpStatusCode)422, "idempotency-key-reused");
        Assert.Equal(900L, await BalanceAsync(_client, accountId));
    }

    [Fact]
    public Task Post_WithoutKey_400IdempotencyKeyMissing() =>
        AssertDepositKeyRefusedAsync(_client, key: null, "idempotency-key-missing");

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("3f2504e0-4f89-41d3-9a0c-0305e82c3301")] // version 4
    [InlineData("\"0190a6e0-6c2d-7000-8000-000000000000")] // unterminated sf-string
    [InlineData("{0190a6e0-6c2d-7000-8000-000000000000}")]
    public Task Post_MalformedKey_400IdempotencyKeyMalformed(string key) =>
        AssertDepositKeyRefusedAsync(_client, key, "idempotency-key-malformed");

    [Fact]
    public async Task Post_TwoKeyHeaders_400IdempotencyKeyMalformed()
    {
        var accountId = await OpenWithBalanceAsync(_client, 0);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/accounts/{accountId}/deposits", UriKind.Relative))
        {
            Content = new StringContent("""{"amount": 1}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", [NewKey(), NewKey()]);

        using var response = await _client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "idempotency-key-malformed");
    }

    [Fact]
    public async Task Post_KeyFromBeyondClockSkew_400IdempotencyKeyMalformed()
    {
        var accountId = await OpenWithBalanceAsync(_client, 0);
        var future = Guid.CreateVersion7(DateTimeOffset.UtcNow.AddHours(1)).ToString();
        using var response = await DepositAsync(_client, accountId, future, 10);
        using var lookup = await _client.GetAsync(new Uri($"/accounts/{accountId}/operations/{future}", UriKind.Relative));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "idempotency-key-malformed");
        // Its look-up says the same, not "unknown: send it to settle it", which could not be followed.
        await AssertProblemAsync(lookup, HttpStatusCode.BadRequest, "idempotency-key-malformed");
        Assert.Equal(0L, await BalanceAsync(_client, accountId));
    }

    [Theory]
    [InlineData("""{"amount": 0}""")]
    [InlineData("""{"amount": -5}""")]
    [InlineData("""{"amount": 12.5}""")]
    [InlineData("""{"amount": "100"}""")]
    [InlineData("""{"amount": 9223372036854775808}""")]
    [InlineData("""{"other": 1}""")]
    [InlineData("""{}""")]
    public async Task Post_BadAmount_400InvalidAmountAndNothingChanges(string body)
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);
        using var response = await PostAsync(_client, $"/accounts/{accountId}/withdrawals", NewKey(), body);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-amount");
        using var account = await _client.GetAsync(new Uri($"/accounts/{accountId}", UriKind.Relative));
        var state = await JsonAsync(account);
        Assert.Equal((500L, 2L), ((long)state["balance"]!, (long)state["version"]!));
    }

    [Fact]
    public async Task Deposit_OverflowingBalance_400InvalidAmount()
    {
        var accountId = await OpenWithBalanceAsync(_client, long.MaxValue - 1);
        using var response = await DepositAsync(_client, accountId, NewKey(), 2);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-amount");
        Assert.Equal(long.MaxValue - 1, await BalanceAsync(_client, accountId));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    [InlineData("""{"amount": 1, "amount": 1000000}""")]
    [InlineData("""{"amount": 1} {"amount": 2}""")]
    [InlineData("")]
    public async Task Post_NotASingleJsonObject_400InvalidRequest(string body)
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);
        using var response = await PostAsync(_client, $"/accounts/{accountId}/withdrawals", NewKey(), body);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request");
    }

    [Fact]
    public async Task Post_BodyOver4KiB_413RequestTooLarge()
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);
        var body = $$"""{"amount": 1, "padding": "{{new string('x', 4100)}}"}""";
        using var response = await PostAsync(_client, $"/accounts/{accountId}/withdrawals", NewKey(), body);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "request-too-large");
    }

    [Fact]
    public async Task Post_NotJsonMediaType_415UnsupportedMediaType()
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);
        using var response = await PostAsync(_client, $"/accounts/{accountId}/withdrawals", NewKey(), "amount=1", "application/x-www-form-urlencoded");
        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Theory]
    [InlineData("has%20space")]
    [InlineData("01234567890123456789012345678901234567890123456789012345678901234")]
    [InlineData("caf%C3%A9")]
    public async Task InvalidAccountId_400OnEveryEndpoint(string accountId)
    {
        using var put = await _client.PutAsync(new Uri($"/accounts/{accountId}", UriKind.Relative), null);
        using var get = await _client.GetAsync(new Uri($"/accounts/{accountId}", UriKind.Relative));
        using var post = await DepositAsync(_client, accountId, NewKey(), 1);
        using var operation = await _client.GetAsync(new Uri($"/accounts/{accountId}/operations/{NewKey()}", UriKind.Relative));

        foreach (var response in new[] { put, get, post, operation })
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-account-id");
        }
    }

    [Fact]
    public async Task Post_AccountNeverOpened_404AccountNotFound()
    {
        using var response = await DepositAsync(_client, NewAccountId(), NewKey(), 10);
        await AssertProblemAsync(response, HttpStatusCode.NotFound, "account-not-found");
    }

    [Fact]
    public async Task GetOperation_RecordedUnknownAndExpired()
    {
        var accountId = await OpenWithBalanceAsync(_client, 100);
        var key = NewKey();
        using var withdrawal = await WithdrawAsync(_client, accountId, key, 30);
        var old = Guid.CreateVersion7(DateTimeOffset.UtcNow - AccountCluster.Retention - TimeSpan.FromMinutes(1)).ToString();

        using var found = await _client.GetAsync(new Uri($"/accounts/{accountId}/operations/{key}", UriKind.Relative));
        using var unknown = await _client.GetAsync(new Uri($"/accounts/{accountId}/operations/{NewKey()}", UriKind.Relative));
        using var expired = await _client.GetAsync(new Uri($"/accounts/{accountId}/operations/{old}", UriKind.Relative));
        using var malformed = await _client.GetAsync(new Uri($"/accounts/{accountId}/operations/123", UriKind.Relative));
        using var noAccount = await _client.GetAsync(new Uri($"/accounts/{NewAccountId()}/operations/{key}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);

        // The look-up is the POST's answer, plus who issued the operation.
        var lookedUp = await JsonAsync(found);
        Assert.False(string.IsNullOrEmpty((string?)lookedUp["issuedBy"]));
        lookedUp.Remove("issuedBy");
        Assert.Equal(await withdrawal.Content.ReadAsStringAsync(), Canonical(lookedUp));
        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "operation-not-found");
        await AssertProblemAsync(expired, HttpStatusCode.Gone, "idempotency-key-expired");
        await AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "idempotency-key-malformed");
        await AssertProblemAsync(noAccount, HttpStatusCode.NotFound, "account-not-found");
    }

    [Fact]
    public async Task Post_KeyOlderThanRetention_409IdempotencyKeyExpiredAndNotExecuted()
    {
        var accountId = await OpenWithBalanceAsync(_client, 100);
        var old = Guid.CreateVersion7(DateTimeOffset.UtcNow - AccountCluster.Retention - TimeSpan.FromMinutes(1)).ToString();

        using var response = await WithdrawAsync(_client, accountId, old, 30);

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "idempotency-key-expired");
        Assert.Equal(100L, await BalanceAsync(_client, accountId));
    }

    [Fact]
    public async Task Withdraw_StorageWriteFails_503WithRetryAfterThenRetryExecutesOnce()
    {
        var accountId = await OpenWithBalanceAsync(_client, 1000);
        var key = NewKey();
        StorageFaults.Arm(accountId, StorageFault.FailBeforeWrite);

        using var failed = await WithdrawAsync(_client, accountId, key, 100);
        await AssertProblemAsync(failed, HttpStatusCode.ServiceUnavailable, "storage-unavailable");
        Assert.NotNull(failed.Headers.RetryAfter);

        using var retry = await WithdrawAsync(_client, accountId, key, 100);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.False(IsReplayed(retry));
        Assert.Equal(900, (long)(await JsonAsync(retry))["balanceAfter"]!);

        using var again = await WithdrawAsync(_client, accountId, key, 100);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True(IsReplayed(again));
        Assert.Equal(900L, await BalanceAsync(_client, accountId));
    }

    [Fact]
    public async Task Withdraw_CommittedButAnswerLost_RetryReplaysTheCommittedOutcome()
    {
        var accountId = await OpenWithBalanceAsync(_client, 1000);
        var key = NewKey();
        StorageFaults.Arm(accountId, StorageFault.FailAfterWrite);

        using var failed = await WithdrawAsync(_client, accountId, key, 100);
        await AssertProblemAsync(failed, HttpStatusCode.ServiceUnavailable, "storage-unavailable");
        using var retry = await WithdrawAsync(_client, accountId, key, 100);

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.True(IsReplayed(retry));
        Assert.Equal(900, (long)(await JsonAsync(retry))["balanceAfter"]!);
        Assert.Equal(900L, await BalanceAsync(_client, accountId));
    }

    [Fact]
    public async Task Retry_ThroughAnotherFrontEndInstance_SameAnswerWithReplayHeader()
    {
        using var clientB = fixture.FrontEndB.CreateClient();
        var accountId = await OpenWithBalanceAsync(_client, 1000);
        var key = NewKey();

        using var viaA = await WithdrawAsync(_client, accountId, key, 300);
        using var viaB = await WithdrawAsync(clientB, accountId, key, 300);

        Assert.Equal(HttpStatusCode.OK, viaA.StatusCode);
        Assert.Equal(HttpStatusCode.OK, viaB.StatusCode);
        Assert.True(IsReplayed(viaB));
        Assert.Equal(await viaA.Content.ReadAsStringAsync(), await viaB.Content.ReadAsStringAsync());
        Assert.Equal(700L, await BalanceAsync(_client, accountId));
    }

    [Fact]
    public async Task ConcurrentIdenticalRequests_AnsweredIdenticallyAndExecutedOnce()
    {
        using var clientB = fixture.FrontEndB.CreateClient();
        var accountId = await OpenWithBalanceAsync(_client, 1000);
        var key = NewKey();

        var responses = await Task.WhenAll(
            WithdrawAsync(_client, accountId, key, 400),
            WithdrawAsync(clientB, accountId, key, 400),
            WithdrawAsync(_client, accountId, key, 400),
            WithdrawAsync(clientB, accountId, key, 400));

        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(bodies.Distinct());
        Assert.Single(responses, r => !IsReplayed(r));
        Assert.Equal(600L, await BalanceAsync(_client, accountId));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }
}
