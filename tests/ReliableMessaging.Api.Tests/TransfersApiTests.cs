using System.Net;
using System.Text.Json.Nodes;
using ReliableMessaging.Api.Security;
using ReliableMessaging.Testing;
using static ReliableMessaging.Api.Tests.Http;

namespace ReliableMessaging.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class TransfersApiTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.FrontEndA.CreateClient();

    private Task<HttpResponseMessage> TransferAsync(string? key, string from, string to, long amount, HttpClient? client = null) =>
        PostAsync(client ?? _client, "/transfers", key, $$"""{"from":"{{from}}","to":"{{to}}","amount":{{amount}}}""");

    private async Task<string> WaitStatusAsync(string transferId, string until)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            using var response = await _client.GetAsync(new Uri($"/transfers/{transferId}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var status = (string)(await JsonAsync(response))["status"]!;
            if (status == until || DateTime.UtcNow > deadline)
            {
                return status;
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task PostTransfer_202WithLocation_CompletesAndRetryReplays()
    {
        var (from, to) = await OpenTransferPairAsync(_client, 1000);
        var key = NewKey();

        using var accepted = await TransferAsync(key, from, to, 400);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal($"/transfers/{key}", accepted.Headers.Location?.OriginalString);
        Assert.False(IsReplayed(accepted));
        var body = await JsonAsync(accepted);
        Assert.Equal((key, from, to, 400L), ((string)body["transferId"]!, (string)body["from"]!, (string)body["to"]!, (long)body["amount"]!));

        Assert.Equal("completed", await WaitStatusAsync(key, "completed"));
        using var retry = await TransferAsync(key, from, to, 400, fixture.FrontEndB.CreateClient());
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.True(IsReplayed(retry));
        Assert.Equal("completed", (string)(await JsonAsync(retry))["status"]!);
        Assert.Equal((600L, 400L), (await BalanceAsync(_client, from), await BalanceAsync(_client, to)));
    }

    [Fact]
    public async Task GetOperation_TransferIdOnSourceAndDestination_DescribesEachLegNot503()
    {
        var (from, to) = await OpenTransferPairAsync(_client, 1000);
        var key = NewKey();
        using var accepted = await TransferAsync(key, from, to, 400);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal("completed", await WaitStatusAsync(key, "completed"));

        using var debit = await _client.GetAsync(new Uri($"/accounts/{from}/operations/{key}", UriKind.Relative));
        var body = await debit.Content.ReadAsStringAsync();
        Assert.True(debit.StatusCode == HttpStatusCode.OK, body);
        var leg = await JsonAsync(debit);
        Assert.Equal(("transfer-out", 400L, 600L, "succeeded"), ((string)leg["kind"]!, (long)leg["amount"]!, (long)leg["balanceAfter"]!, (string)leg["status"]!));
        Assert.Equal($"/transfers/{key}", (string?)leg["transfer"]);

        // The destination never saw the transfer ID itself: its credit is recorded under its own ID,
        // which its statement lists and which can be looked up like any other.
        using var onDestination = await _client.GetAsync(new Uri($"/accounts/{to}/operations/{key}", UriKind.Relative));
        await AssertProblemAsync(onDestination, HttpStatusCode.NotFound, "operation-not-found");
        using var statement = await _client.GetAsync(new Uri($"/accounts/{to}/operations", UriKind.Relative));
        var creditId = (string)(await JsonAsync(statement))["items"]!.AsArray().Single(i => (string)i!["kind"]! == "transfer-in")!["operationId"]!;
        using var credit = await _client.GetAsync(new Uri($"/accounts/{to}/operations/{creditId}", UriKind.Relative));
        var creditBody = await JsonAsync(credit);
        Assert.Equal(("transfer-in", 400L), ((string)creditBody["kind"]!, (long)creditBody["amount"]!));
    }

    [Fact]
    public async Task PostTransfer_ToMissingAccount_Refunded()
    {
        var from = await OpenWithBalanceAsync(_client, 1000);
        var key = NewKey();
        using var accepted = await TransferAsync(key, from, NewAccountId(), 400);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal("refunded", await WaitStatusAsync(key, "refunded"));
        Assert.Equal(1000, await BalanceAsync(_client, from));
    }

    [Fact]
    public async Task PostTransfer_IdOlderThanRetention_409IdempotencyKeyExpiredAndNothingMoved()
    {
        // The answer a retried start also gets once a prune took how the transfer ended
        // (JournalTests.StartRetried_DebitJournaledButHowItEndedPrunedFirst_RefusedAsExpiredNotAnError_NothingMoved).
        var (from, to) = await OpenTransferPairAsync(_client, 100);
        var old = Guid.CreateVersion7(DateTimeOffset.UtcNow - AccountCluster.Retention - TimeSpan.FromMinutes(1)).ToString();

        using var response = await TransferAsync(old, from, to, 30);

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "idempotency-key-expired");
        Assert.Equal((100L, 0L), (await BalanceAsync(_client, from), await BalanceAsync(_client, to)));
    }

    [Fact]
    public async Task PostTransfer_InsufficientFunds_422ReplayedIdentically()
    {
        var (from, to) = await OpenTransferPairAsync(_client, 100);
        var key = NewKey();

        using var refused = await TransferAsync(key, from, to, 150);

        // Funds arrive before the retry: only a recorded refusal still answers 422 (one decided again would move 150).
        using var topUp = await DepositAsync(_client, from, NewKey(), 1000);
        Assert.Equal(HttpStatusCode.OK, topUp.StatusCode);
        using var retry = await TransferAsync(key, from, to, 150);

        await AssertProblemAsync(refused, (HttpStatusCode)422, "insufficient-funds");
        await AssertProblemAsync(retry, (HttpStatusCode)422, "insufficient-funds");
        Assert.True(IsReplayed(retry));
        Assert.Equal(await refused.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal((1100L, 0L), (await BalanceAsync(_client, from), await BalanceAsync(_client, to)));
    }

    [Fact]
    public async Task PostTransfer_InsufficientFunds_ItsRecordLinksToNoTransfer_TheTransferLookupNamesTheRefusalAsTheApiDoes()
    {
        var (from, to) = await OpenTransferPairAsync(_client, 100);
        var key = NewKey();
        using (var refused = await TransferAsync(key, from, to, 150))
        {
            await AssertProblemAsync(refused, (HttpStatusCode)422, "insufficient-funds");
        }

        using var record = await _client.GetAsync(new Uri($"/accounts/{from}/operations/{key}", UriKind.Relative));
        using var transfer = await _client.GetAsync(new Uri($"/transfers/{key}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, record.StatusCode);
        var body = JsonNode.Parse(await record.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(("transfer-out", "insufficient-funds"), ((string?)body["kind"], (string?)body["status"]));
        Assert.False(body.ContainsKey("transfer"), "a refused transfer has no delivery status to link to");
        var problem = await AssertProblemAsync(transfer, HttpStatusCode.NotFound, "transfer-not-found");
        Assert.Contains("(insufficient-funds)", (string?)problem["detail"], StringComparison.Ordinal);

        // The payee's token reads it like an unknown ID: why the payer was refused is not its business.
        using var payee = fixture.FrontEndA.CreateClient();
        payee.DefaultRequestHeaders.Authorization = new("Bearer", FrontEndFactory.Token(ApiScopes.All, [to], subject: "payee"));
        using var asPayee = await payee.GetAsync(new Uri($"/transfers/{key}", UriKind.Relative));
        var payeeProblem = await AssertProblemAsync(asPayee, HttpStatusCode.NotFound, "transfer-not-found");
        Assert.Equal($"No transfer was accepted with ID {key}.", (string?)payeeProblem["detail"]);
    }

    [Fact]
    public async Task PostTransfer_KeyReusedForAnotherDestinationOrDirection_422_OnlyTheFirstMovesMoney()
    {
        // The same key with another destination, or with source and destination swapped, is another
        // transfer: refused, and the first one moves its money once.
        var (from, to) = await OpenTransferPairAsync(_client, 1000);
        var other = await OpenWithBalanceAsync(_client, 500);
        var key = NewKey();
        using var first = await TransferAsync(key, from, to, 10);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        using var elsewhere = await TransferAsync(key, from, other, 10);
        using var swapped = await TransferAsync(key, to, from, 10);
        using var fromOther = await TransferAsync(key, other, to, 10);

        await AssertProblemAsync(elsewhere, (HttpStatusCode)422, "idempotency-key-reused");
        await AssertProblemAsync(swapped, (HttpStatusCode)422, "idempotency-key-reused");
        await AssertProblemAsync(fromOther, (HttpStatusCode)422, "idempotency-key-reused");
        Assert.Equal("completed", await WaitStatusAsync(key, "completed"));
        Assert.Equal((990L, 10L, 500L), (await BalanceAsync(_client, from), await BalanceAsync(_client, to), await BalanceAsync(_client, other)));
    }

    [Fact]
    public async Task PostTransfer_Errors_MapToProblemCodes()
    {
        var (from, to) = await OpenTransferPairAsync(_client, 1000);
        var key = NewKey();
        using var first = await TransferAsync(key, from, to, 10);

        using var reused = await TransferAsync(key, from, to, 11);
        using var missingSource = await TransferAsync(NewKey(), NewAccountId(), to, 10);
        using var toSelf = await TransferAsync(NewKey(), from, from, 10);
        using var noKey = await TransferAsync(null, from, to, 10);
        using var badAmount = await TransferAsync(NewKey(), from, to, 0);
        using var badAccount = await TransferAsync(NewKey(), from, "no spaces allowed", 10);
        using var unknown = await _client.GetAsync(new Uri($"/transfers/{NewKey()}", UriKind.Relative));

        await AssertProblemAsync(reused, (HttpStatusCode)422, "idempotency-key-reused");
        await AssertProblemAsync(missingSource, HttpStatusCode.NotFound, "account-not-found");
        await AssertProblemAsync(toSelf, HttpStatusCode.BadRequest, "invalid-request");
        await AssertProblemAsync(noKey, HttpStatusCode.BadRequest, "idempotency-key-missing");
        await AssertProblemAsync(badAmount, HttpStatusCode.BadRequest, "invalid-amount");
        await AssertProblemAsync(badAccount, HttpStatusCode.BadRequest, "invalid-account-id");
        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "transfer-not-found");

        // Only the first moved money, once.
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal("completed", await WaitStatusAsync(key, "completed"));
        Assert.Equal((990L, 10L), (await BalanceAsync(_client, from), await BalanceAsync(_client, to)));
    }

    [Theory]
    [InlineData("ffffffff-ffff-7fff-bfff-ffffffffffff", false)]
    [InlineData("e677d21f-dc00-7000-8000-000000000000", false)]
    [InlineData("ffffffff-ffff-7fff-bfff-ffffffffffff", true)]
    public async Task Transfer_KeyBeyondTheYear9999_400KeyMalformedAndNothingRecorded(string key, bool toItself)
    {
        // 48 bits of milliseconds reach past what a DateTimeOffset holds: such a key was a 500 after the
        // transfer's index had been written (and the client, seeing a 500, looked it up and got 409).
        var (from, to) = await OpenTransferPairAsync(_client, 1000);

        using var response = await TransferAsync(key, from, toItself ? from : to, 10);
        using var status = await _client.GetAsync(new Uri($"/transfers/{key}", UriKind.Relative));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "idempotency-key-malformed");
        await AssertProblemAsync(status, HttpStatusCode.BadRequest, "idempotency-key-malformed");
        Assert.Equal(1000L, await BalanceAsync(_client, from));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    public async Task Transfer_ToADotSegmentId_400InvalidAccountIdAndNothingDebited(string to)
    {
        // URLs drop "." and ".." segments: such an account could never be reached over HTTP.
        var from = await OpenWithBalanceAsync(_client, 1000);

        using var response = await TransferAsync(NewKey(), from, to, 10);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-account-id");
        Assert.Equal(1000L, await BalanceAsync(_client, from));
    }

    [Fact]
    public async Task GetTransfer_ReceivedButNotDebitedAtItsSource_409NotConfirmedNever404()
    {
        // The transfer ID was received, but its source did not take the debit (not open yet): a
        // repeated POST with the same key could still debit it, so the GET must not deny it.
        var to = await OpenWithBalanceAsync(_client, 0);
        var key = NewKey();
        using var refused = await TransferAsync(key, NewAccountId(), to, 10);
        await AssertProblemAsync(refused, HttpStatusCode.NotFound, "account-not-found");

        using var lookup = await _client.GetAsync(new Uri($"/transfers/{key}", UriKind.Relative));

        var problem = await AssertProblemAsync(lookup, HttpStatusCode.Conflict, "transfer-not-confirmed");
        Assert.Equal(key, (string)problem["transferId"]!);
        Assert.NotNull(lookup.Headers.RetryAfter);
    }

    [Fact]
    public async Task PostTransfer_OutboxFull_429TooManyPendingTransfers()
    {
        var (from, to) = await OpenTransferPairAsync(_client, 1000);
        var gate = StorageFaults.HoldWrites(to);
        try
        {
            for (var i = 0; i < AccountCluster.MaxPendingTransfers; i++)
            {
                using var accepted = await TransferAsync(NewKey(), from, to, 1);
                Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            }

            using var refused = await TransferAsync(NewKey(), from, to, 1);
            await AssertProblemAsync(refused, HttpStatusCode.TooManyRequests, "too-many-pending-transfers");
            Assert.NotNull(refused.Headers.RetryAfter);

            // Only the accepted ones were debited: the refused one moved nothing.
            Assert.Equal(1000L - AccountCluster.MaxPendingTransfers, await BalanceAsync(_client, from));
        }
        finally
        {
            gate.SetResult();
        }
    }
}
