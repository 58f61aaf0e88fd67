using System.Net;
using System.Text.Json.Nodes;
using ReliableMessaging.Api.Accounts;
using ReliableMessaging.Api.Security;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Testing;
using static ReliableMessaging.Api.Tests.Http;

namespace ReliableMessaging.Api.Tests;

/// <summary>The journal over HTTP: acknowledged operations stay verifiable past the window, and the statement is complete.</summary>
[Collection(ApiCollection.Name)]
public sealed class StatementApiTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.FrontEndA.CreateClient();

    [Fact]
    public async Task BusyAccount_EveryAcknowledgedOperation_StillFoundAndReplayedByteForByte()
    {
        var accountId = await OpenWithBalanceAsync(_client, 10_000);
        var answers = new List<(string Key, string Body)>();
        for (var i = 0; i < AccountCluster.WindowSize * 3; i++)
        {
            var key = NewKey();
            using var response = await WithdrawAsync(_client, accountId, key, 1);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            answers.Add((key, await response.Content.ReadAsStringAsync()));
        }

        foreach (var (key, body) in answers)
        {
            using var lookup = await _client.GetAsync(new Uri($"/accounts/{accountId}/operations/{key}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);
            var record = await JsonAsync(lookup);
            record.Remove("issuedBy");
            Assert.Equal(body, Canonical(record));
            using var retry = await WithdrawAsync(_client, accountId, key, 1);
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            Assert.True(IsReplayed(retry));
            Assert.Equal(body, await retry.Content.ReadAsStringAsync());
        }

        Assert.Equal(10_000L - answers.Count, await BalanceAsync(_client, accountId));
    }

    [Fact]
    public async Task Statement_LimitedToken_SeesItsOwnSubject_AnyoneElsesAsAnotherCaller_AnEveryAccountTokenSeesThemAll()
    {
        // A joint holder's, a back office's or an employee's identity is not the account holder's to read.
        var accountId = await OpenWithBalanceAsync(_client, 100);
        using var holder = fixture.FrontEndA.CreateClient();
        holder.DefaultRequestHeaders.Authorization = new("Bearer", FrontEndFactory.Token(ApiScopes.All, [accountId], subject: "holder-b"));
        var byOperatorsKey = NewKey();
        using (var byTestSuite = await DepositAsync(_client, accountId, byOperatorsKey, 10))
        using (var byHolder = await DepositAsync(holder, accountId, NewKey(), 20))
        {
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (byTestSuite.StatusCode, byHolder.StatusCode));
        }

        async Task<List<string?>> IssuersAsync(HttpClient client)
        {
            using var page = await client.GetAsync(new Uri($"/accounts/{accountId}/operations", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            return (await JsonAsync(page))["items"]!.AsArray().Select(i => (string?)i!["issuedBy"]).ToList();
        }

        Assert.Equal([IssuerVisibility.AnotherCaller, IssuerVisibility.AnotherCaller, "holder-b"], await IssuersAsync(holder));
        Assert.Equal([FrontEndFactory.TestSubject, FrontEndFactory.TestSubject, "holder-b"], await IssuersAsync(_client));
        using var lookup = await holder.GetAsync(new Uri($"/accounts/{accountId}/operations/{byOperatorsKey}", UriKind.Relative));
        Assert.Equal(IssuerVisibility.AnotherCaller, (string?)(await JsonAsync(lookup))["issuedBy"]);
    }

    [Fact]
    public async Task OperatorResolvedTransfer_AccountHolderSeesItWasAnOperator_NeverTheNameOrTheReason()
    {
        // The reason may cite another customer's records, the name is staff's: both stay in the journal
        // and the operators' logs. The holder sees that an operator, not the delivery, ended it.
        var from = await OpenWithBalanceAsync(_client, 1000);
        var to = await TestAccounts.OpenWhereCreditsCannotBeVerifiedAsync(fixture.Grains);

        var transferId = Guid.CreateVersion7();
        Assert.Equal(OperationStatus.Succeeded, (await fixture.Grains.GetGrain<ITransferGrain>(transferId).Start(from, to, 100)).Status);
        RequestContext.Set(RequestContextKeys.IssuedBy, "alice@ops-host");
        try
        {
            var resolved = await fixture.Grains.GetGrain<IAccountGrain>(from).ResolveHeldTransfer(transferId, TransferState.Refunded, "bob's statement shows no credit");
            Assert.Equal(HeldTransferResolutionStatus.Resolved, resolved.Status);
        }
        finally
        {
            RequestContext.Remove(RequestContextKeys.IssuedBy);
        }

        using var statement = await _client.GetAsync(new Uri($"/accounts/{from}/operations", UriKind.Relative));
        var body = await statement.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, statement.StatusCode);
        var items = (await JsonAsync(statement))["items"]!.AsArray().Select(n => n!.AsObject()).ToList();
        Assert.Equal(
            [("transfer-finished", (string?)OperatorResolution.ShownName), ("transfer-refund", OperatorResolution.ShownName)],
            items.Where(i => (string)i["kind"]! is "transfer-finished" or "transfer-refund").Select(i => ((string)i["kind"]!, (string?)i["issuedBy"])));
        Assert.DoesNotContain("alice", body, StringComparison.Ordinal);
        Assert.DoesNotContain("bob's statement", body, StringComparison.Ordinal);

        using var refund = await _client.GetAsync(new Uri($"/accounts/{from}/operations/{TransferRecordIds.Refund(transferId)}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, refund.StatusCode);
        Assert.Equal(OperatorResolution.ShownName, (string?)(await JsonAsync(refund))["issuedBy"]);

        // The holder's own token (limited to the account) reads the same: an operator, not "another-caller".
        using var holder = fixture.FrontEndA.CreateClient();
        holder.DefaultRequestHeaders.Authorization = new("Bearer", FrontEndFactory.Token(ApiScopes.All, [from], subject: "holder"));
        using var asHolder = await holder.GetAsync(new Uri($"/accounts/{from}/operations/{TransferRecordIds.Refund(transferId)}", UriKind.Relative));
        Assert.Equal(OperatorResolution.ShownName, (string?)(await JsonAsync(asHolder))["issuedBy"]);
        Assert.Equal(1000L, await BalanceAsync(_client, from));
    }

    [Fact]
    public async Task GetStatement_FollowingNextLinks_EveryOperationOnceInOrderSummingToTheBalance()
    {
        var accountId = await OpenWithBalanceAsync(_client, 100);
        for (var i = 0; i < 40; i++)
        {
            using var response = i % 4 == 3
                ? await WithdrawAsync(_client, accountId, NewKey(), 500)
                : await DepositAsync(_client, accountId, NewKey(), 10);
        }

        var items = new List<JsonObject>();
        var next = $"/accounts/{accountId}/operations?limit=6";
        var pages = 0;
        long balance = 0;
        while (next is not null)
        {
            using var response = await _client.GetAsync(new Uri(next, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await JsonAsync(response);
            items.AddRange(page["items"]!.AsArray().Select(n => n!.AsObject()));
            balance = (long)page["balance"]!;
            next = (string?)page["next"];
            pages++;
        }

        Assert.Equal(7, pages);
        Assert.Equal(Enumerable.Range(1, 41).Select(i => (long)i), items.Select(i => (long)i["sequence"]!));
        var effect = items.Where(i => (string)i["status"]! == "succeeded")
            .Sum(i => (string)i["kind"]! == "withdrawal" ? -(long)i["amount"]! : (long)i["amount"]!);
        Assert.Equal(balance, effect);
        Assert.Equal(400, balance);
        Assert.Contains(items, i => (string)i["status"]! == "insufficient-funds");

        // Who did it: the caller's identity is recorded with each operation, and shown on look-ups.
        var issuer = (string?)items[^1]["issuedBy"];
        Assert.False(string.IsNullOrEmpty(issuer));
        Assert.All(items, i => Assert.Equal(issuer, (string?)i["issuedBy"]));
        using var lookup = await _client.GetAsync(new Uri($"/accounts/{accountId}/operations/{(string)items[^1]["operationId"]!}", UriKind.Relative));
        Assert.Equal(issuer, (string?)(await JsonAsync(lookup))["issuedBy"]);
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=1001")]
    [InlineData("?after=-1")]
    [InlineData("?after=abc")]
    public async Task GetStatement_BadCursorOrLimit_400InvalidRequest(string query)
    {
        var accountId = await OpenWithBalanceAsync(_client, 1);
        using var response = await _client.GetAsync(new Uri($"/accounts/{accountId}/operations{query}", UriKind.Relative));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request");
    }

    [Fact]
    public async Task GetStatement_AccountNeverOpened_404()
    {
        using var response = await _client.GetAsync(new Uri($"/accounts/{NewAccountId()}/operations", UriKind.Relative));
        await AssertProblemAsync(response, HttpStatusCode.NotFound, "account-not-found");
    }
}
