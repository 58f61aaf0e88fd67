using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ReliableMessaging.Api.Security;
using static ReliableMessaging.Api.Tests.Http;

namespace ReliableMessaging.Api.Tests.Security;

/// <summary>Least privilege: each endpoint needs its scope, and a token limited to accounts touches no other.</summary>
[Collection(ApiCollection.Name)]
public sealed class AuthorizationTests(ApiFixture fixture)
{
    private readonly HttpClient _admin = fixture.FrontEndA.CreateClient();

    [Fact]
    public async Task MissingScope_EachEndpoint_403ForbiddenNamingTheScope()
    {
        var accountId = await OpenWithBalanceAsync(_admin, 1000);
        var other = await OpenWithBalanceAsync(_admin, 0);
        using var readOnly = ClientWith(Tokens.Valid(ApiScopes.AccountsRead));
        using var writeOnly = ClientWith(Tokens.Valid(ApiScopes.AccountsWrite));

        using var deposit = await DepositAsync(readOnly, accountId, NewKey(), 1);
        await AssertForbiddenAsync(deposit, ApiScopes.AccountsWrite);
        using var withdraw = await WithdrawAsync(readOnly, accountId, NewKey(), 1);
        await AssertForbiddenAsync(withdraw, ApiScopes.AccountsWrite);
        using var open = await OpenAsync(readOnly, NewAccountId());
        await AssertForbiddenAsync(open, ApiScopes.AccountsOpen);
        using var transfer = await TransferAsync(readOnly, NewKey(), accountId, other, 1);
        await AssertForbiddenAsync(transfer, ApiScopes.TransfersWrite);
        using var read = await writeOnly.GetAsync(new Uri($"/accounts/{accountId}", UriKind.Relative));
        await AssertForbiddenAsync(read, ApiScopes.AccountsRead);
        using var operation = await writeOnly.GetAsync(new Uri($"/accounts/{accountId}/operations/{NewKey()}", UriKind.Relative));
        await AssertForbiddenAsync(operation, ApiScopes.AccountsRead);
        using var statement = await writeOnly.GetAsync(new Uri($"/accounts/{accountId}/operations", UriKind.Relative));
        await AssertForbiddenAsync(statement, ApiScopes.AccountsRead);
        using var transferStatus = await writeOnly.GetAsync(new Uri($"/transfers/{NewKey()}", UriKind.Relative));
        await AssertForbiddenAsync(transferStatus, ApiScopes.AccountsRead);

        Assert.Equal(1000L, await BalanceAsync(_admin, accountId));
    }

    [Fact]
    public async Task OtherAccount_EveryAccountEndpoint_403AndNothingChanges()
    {
        var granted = await OpenWithBalanceAsync(_admin, 1000);
        var other = await OpenWithBalanceAsync(_admin, 1000);
        var key = NewKey();
        using (var recorded = await WithdrawAsync(_admin, other, key, 10))
        {
            Assert.Equal(HttpStatusCode.OK, recorded.StatusCode);
        }

        using var limited = ClientWith(Tokens.ForAccounts([granted]));

        using var read = await limited.GetAsync(new Uri($"/accounts/{other}", UriKind.Relative));
        await AssertForbiddenAsync(read);
        using var deposit = await DepositAsync(limited, other, NewKey(), 5);
        await AssertForbiddenAsync(deposit);
        using var withdraw = await WithdrawAsync(limited, other, NewKey(), 5);
        await AssertForbiddenAsync(withdraw);
        // An operation ID learned elsewhere reveals nothing about the other account.
        using var operation = await limited.GetAsync(new Uri($"/accounts/{other}/operations/{key}", UriKind.Relative));
        await AssertForbiddenAsync(operation);
        using var statement = await limited.GetAsync(new Uri($"/accounts/{other}/operations", UriKind.Relative));
        await AssertForbiddenAsync(statement);
        using var open = await OpenAsync(limited, NewAccountId());
        await AssertForbiddenAsync(open);

        Assert.Equal(990L, await BalanceAsync(_admin, other));
        using var own = await WithdrawAsync(limited, granted, NewKey(), 5);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(995L, await BalanceAsync(_admin, granted));
    }

    [Fact]
    public async Task Transfer_FromAccountNotGranted_403AndNothingDebited()
    {
        var mine = await OpenWithBalanceAsync(_admin, 0);
        var victim = await OpenWithBalanceAsync(_admin, 1000);
        using var limited = ClientWith(Tokens.ForAccounts([mine]));

        using var response = await TransferAsync(limited, NewKey(), victim, mine, 700);

        await AssertForbiddenAsync(response);
        Assert.Equal((1000L, 0L), (await BalanceAsync(_admin, victim), await BalanceAsync(_admin, mine)));
    }

    [Fact]
    public async Task Transfer_FromGrantedAccountToAnother_AcceptedAndVisibleToBothSidesOnly()
    {
        var from = await OpenWithBalanceAsync(_admin, 1000);
        var to = await OpenWithBalanceAsync(_admin, 0);
        var key = NewKey();
        using var sender = ClientWith(Tokens.ForAccounts([from]));

        using var accepted = await TransferAsync(sender, key, from, to, 300);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        using var receiver = ClientWith(Tokens.ForAccounts([to]));
        using var stranger = ClientWith(Tokens.ForAccounts([NewAccountId()]));
        using var bySender = await sender.GetAsync(new Uri($"/transfers/{key}", UriKind.Relative));
        using var byReceiver = await receiver.GetAsync(new Uri($"/transfers/{key}", UriKind.Relative));
        using var byStranger = await stranger.GetAsync(new Uri($"/transfers/{key}", UriKind.Relative));
        using var unknown = await stranger.GetAsync(new Uri($"/transfers/{NewKey()}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, bySender.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byReceiver.StatusCode);
        // Not 403: the stranger cannot even tell that this transfer exists.
        var hidden = await AssertProblemAsync(byStranger, HttpStatusCode.NotFound, "transfer-not-found");
        var missing = await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "transfer-not-found");
        Assert.Equal(((string)missing["title"]!), (string)hidden["title"]!);
    }

    [Fact]
    public async Task Transfer_ReceivedButNotConfirmed_HiddenFromAStrangerLikeAnUnknownId_ShownToItsAccounts()
    {
        // The ID is recorded (the source does not exist, so nothing is debited), and a start may still
        // be on its way: its accounts are told "not confirmed", anyone else the same as for an unknown ID.
        var from = NewAccountId();
        var to = await OpenWithBalanceAsync(_admin, 0);
        var key = NewKey();
        using (var refused = await TransferAsync(_admin, key, from, to, 300))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }

        using var owner = ClientWith(Tokens.ForAccounts([from]));
        using var stranger = ClientWith(Tokens.ForAccounts([NewAccountId()]));
        using var byOwner = await owner.GetAsync(new Uri($"/transfers/{key}", UriKind.Relative));
        using var byStranger = await stranger.GetAsync(new Uri($"/transfers/{key}", UriKind.Relative));
        using var unknown = await stranger.GetAsync(new Uri($"/transfers/{NewKey()}", UriKind.Relative));

        await AssertProblemAsync(byOwner, HttpStatusCode.Conflict, "transfer-not-confirmed");
        var hidden = await AssertProblemAsync(byStranger, HttpStatusCode.NotFound, "transfer-not-found");
        var missing = await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "transfer-not-found");
        Assert.Equal((string)missing["title"]!, (string)hidden["title"]!);
    }

    [Fact]
    public async Task NoAccountsClaim_GrantsNoAccount()
    {
        // Fails closed: a provider's token that lacks the claim (a forgotten mapper) moves no money.
        var accountId = await OpenWithBalanceAsync(_admin, 100);
        using var unlimited = ClientWith(Tokens.WithoutAccountsClaim());
        using var read = await unlimited.GetAsync(new Uri($"/accounts/{accountId}", UriKind.Relative));
        using var withdraw = await WithdrawAsync(unlimited, accountId, NewKey(), 100);
        using var transfer = await TransferAsync(unlimited, NewKey(), accountId, NewAccountId(), 100);

        await AssertForbiddenAsync(read);
        await AssertForbiddenAsync(withdraw);
        await AssertForbiddenAsync(transfer);
        Assert.Equal(100L, await BalanceAsync(_admin, accountId));
    }

    [Fact]
    public async Task EmptyAccountsClaim_GrantsNoAccount()
    {
        var accountId = await OpenWithBalanceAsync(_admin, 10);
        using var none = ClientWith(Tokens.ForAccounts([]));
        using var read = await none.GetAsync(new Uri($"/accounts/{accountId}", UriKind.Relative));
        await AssertForbiddenAsync(read);
    }

    [Fact]
    public void EveryApiEndpoint_NeedsAScope_OnlyHealthOpenApiAndReferenceAnonymous()
    {
        var endpoints = fixture.FrontEndA.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.True(endpoints.Count(endpoint => endpoint.Metadata.GetMetadata<RequiredScope>() is not null) >= 8, "the API's endpoints were not found");
        foreach (var endpoint in endpoints)
        {
            var pattern = endpoint.RoutePattern.RawText ?? string.Empty;
            if (pattern.StartsWith("/dashboard", StringComparison.Ordinal))
            {
                // Its own operator policy (Basic, see DashboardAccessTests).
                Assert.NotEmpty(endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>());
                continue;
            }

            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var scope = endpoint.Metadata.GetMetadata<RequiredScope>();
            // The probes, the OpenAPI document and its reference page describe the API and carry no data.
            if (pattern.StartsWith("/health/", StringComparison.Ordinal) || pattern.StartsWith("/openapi/", StringComparison.Ordinal)
                || pattern.StartsWith("/reference", StringComparison.Ordinal))
            {
                Assert.True(anonymous, $"{pattern} should stay anonymous.");
                continue;
            }

            // A new endpoint (e.g. an account statement) must say which scope it needs.
            Assert.False(anonymous, $"{pattern} allows anonymous callers.");
            Assert.True(scope is not null && ApiScopes.All.Contains(scope.Scope), $"{pattern} declares no scope: add .RequireScope(ApiScopes.X).");
        }
    }

    private HttpClient ClientWith(string token)
    {
        var client = fixture.FrontEndA.CreateClient();
        client.DefaultRequestHeaders.Authorization = Tokens.Bearer(token);
        return client;
    }

    private static Task<HttpResponseMessage> TransferAsync(HttpClient client, string key, string from, string to, long amount) =>
        PostAsync(client, "/transfers", key, $$"""{"from":"{{from}}","to":"{{to}}","amount":{{amount}}}""");

    private static async Task AssertForbiddenAsync(HttpResponseMessage response, string? scope = null)
    {
        var problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        if (scope is not null)
        {
            Assert.Contains($"'{scope}'", (string)problem["detail"]!, StringComparison.Ordinal);
        }
    }
}
