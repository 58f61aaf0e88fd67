using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ReliableMessaging.Api.Security;
using static ReliableMessaging.Api.Tests.Http;

namespace ReliableMessaging.Api.Tests.Security;

/// <summary>Every request that moves or reveals money needs a valid bearer token; each kind of bad token is refused.</summary>
[Collection(ApiCollection.Name)]
public sealed class AuthenticationTests(ApiFixture fixture)
{
    /// <summary>Every money endpoint, as (method, path) with a body where it takes one.</summary>
    public static TheoryData<string, string> MoneyEndpoints => new()
    {
        { "PUT", "/accounts/auth-probe" },
        { "GET", "/accounts/auth-probe" },
        { "POST", "/accounts/auth-probe/deposits" },
        { "POST", "/accounts/auth-probe/withdrawals" },
        { "GET", $"/accounts/auth-probe/operations/{Guid.CreateVersion7()}" },
        { "GET", "/accounts/auth-probe/operations" },
        { "POST", "/transfers" },
        { "GET", $"/transfers/{Guid.CreateVersion7()}" },
    };

    [Theory]
    [MemberData(nameof(MoneyEndpoints))]
    public async Task NoToken_EveryMoneyEndpoint_401WithBearerChallengeAndProblem(string method, string path)
    {
        using var client = Anonymous();
        using var response = await SendAsync(client, method, path, token: null);
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task BadSignature_401()
    {
        using var response = await GetAccountAsync(Tokens.SignedWithAnotherKey());
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task TamperedPayload_401()
    {
        using var response = await GetAccountAsync(Tokens.Tampered());
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task AlgNone_UnsignedToken_401()
    {
        using var response = await GetAccountAsync(Tokens.AlgNone());
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task Expired_BeyondTheClockSkew_401()
    {
        // 31 s past expiry would pass the framework's default skew of 5 minutes; ours is 30 s.
        using var response = await GetAccountAsync(Tokens.Expired(TimeSpan.FromSeconds(31)));
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task Expired_WithinTheClockSkew_Accepted()
    {
        // The other side of the boundary above (15 s of margin for a slow request): a valid token reaches
        // the account, which does not exist.
        using var response = await GetAccountAsync(Tokens.Expired(TimeSpan.FromSeconds(15)));
        await AssertProblemAsync(response, HttpStatusCode.NotFound, "account-not-found");
    }

    [Fact]
    public async Task SignedWithTheRightKeyByAnotherAlgorithm_401()
    {
        // HS512 with the front end's own key; only HS256 is accepted (TokenValidationTests holds the rule
        // with a key long enough for HS512, where the library alone would accept it).
        using var response = await GetAccountAsync(Tokens.SignedWithHs512());
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task WithoutExpiry_401()
    {
        using var response = await GetAccountAsync(Tokens.Described("forever", expires: null));
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task NotYetValid_BeyondTheClockSkew_401()
    {
        using var response = await GetAccountAsync(Tokens.Described("early", DateTime.UtcNow.AddHours(1), notBefore: DateTime.UtcNow.AddMinutes(2)));
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task WrongIssuer_401()
    {
        using var response = await GetAccountAsync(Tokens.WithIssuer("https://someone-else.example"));
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task WrongAudience_401()
    {
        using var response = await GetAccountAsync(Tokens.WithAudience("another-api"));
        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task ValidToken_OpensDepositsAndReads()
    {
        using var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = Tokens.Bearer(Tokens.Valid(ApiScopes.AccountsOpen, ApiScopes.AccountsWrite, ApiScopes.AccountsRead));
        var accountId = await OpenWithBalanceAsync(client, 500);
        Assert.Equal(500L, await BalanceAsync(client, accountId));
    }

    [Fact]
    public async Task HealthAndOpenApi_AnonymousAllowed()
    {
        using var client = Anonymous();
        foreach (var path in new[] { "/health/live", "/health/ready", "/openapi/v1.json" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task OpenApiDocument_DeclaresBearerSchemeAndEachOperationsScope()
    {
        using var client = Anonymous();
        using var response = await client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var scheme = document["components"]!["securitySchemes"]!["Bearer"]!;
        Assert.Equal("http", (string?)scheme["type"]);
        Assert.Equal("bearer", (string?)scheme["scheme"]);

        string? Scope(string path, string method) =>
            document["paths"]![path]![method]!["security"]!.AsArray().Single()!["Bearer"]!.AsArray().Single()!.GetValue<string>();

        Assert.Equal(ApiScopes.AccountsOpen, Scope("/accounts/{accountId}", "put"));
        Assert.Equal(ApiScopes.AccountsRead, Scope("/accounts/{accountId}", "get"));
        Assert.Equal(ApiScopes.AccountsWrite, Scope("/accounts/{accountId}/deposits", "post"));
        Assert.Equal(ApiScopes.AccountsWrite, Scope("/accounts/{accountId}/withdrawals", "post"));
        Assert.Equal(ApiScopes.AccountsRead, Scope("/accounts/{accountId}/operations/{operationId}", "get"));
        Assert.Equal(ApiScopes.AccountsRead, Scope("/accounts/{accountId}/operations", "get"));
        Assert.Equal(ApiScopes.TransfersWrite, Scope("/transfers", "post"));
        Assert.Equal(ApiScopes.AccountsRead, Scope("/transfers/{transferId}", "get"));
        var description = (string)document["info"]!["description"]!;
        foreach (var code in new[] { "unauthorized", "forbidden", "rate-limited" })
        {
            Assert.Contains($"`{code}`", description, StringComparison.Ordinal);
        }
    }

    private HttpClient Anonymous()
    {
        var client = fixture.FrontEndA.CreateClient();
        client.DefaultRequestHeaders.Authorization = null;
        return client;
    }

    private async Task<HttpResponseMessage> GetAccountAsync(string token)
    {
        using var client = Anonymous();
        return await SendAsync(client, "GET", "/accounts/auth-probe", token);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, string? token)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (method == "POST")
        {
            request.Content = new StringContent("""{"amount": 1, "from": "a", "to": "b"}""", System.Text.Encoding.UTF8, "application/json");
            request.Headers.Add("Idempotency-Key", NewKey());
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await client.SendAsync(request);
    }

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response)
    {
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains(response.Headers.WwwAuthenticate, challenge => challenge.Scheme == "Bearer");
        // Which check a forged token failed (signature, audience, lifetime) is not said.
        Assert.DoesNotContain("error_description", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }
}
