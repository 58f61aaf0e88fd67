using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using ReliableMessaging.Api.Hosting;
using static ReliableMessaging.Api.Tests.Http;

namespace ReliableMessaging.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class FrontEndHostingTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.FrontEndA.CreateClient();

    [Fact]
    public async Task OpenApiDocument_ListsEndpointsAndEveryProblemCode()
    {
        using var response = await _client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/accounts/{accountId}", paths);
        Assert.Contains("/accounts/{accountId}/deposits", paths);
        Assert.Contains("/accounts/{accountId}/withdrawals", paths);
        Assert.Contains("/accounts/{accountId}/operations/{operationId}", paths);
        var description = (string)document["info"]!["description"]!;
        foreach (var code in new[]
        {
            "idempotency-key-missing", "idempotency-key-malformed", "invalid-amount", "invalid-account-id", "invalid-request",
            "account-not-found", "operation-not-found", "idempotency-key-reused", "insufficient-funds", "idempotency-key-expired",
            "storage-unavailable", "request-too-large",
        })
        {
            Assert.Contains($"`{code}`", description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OpenApiDocument_BuiltOnceForEveryCaller_AnotherHostOrABearerTokenGetsTheCachedCopy()
    {
        // Anonymous and dear to build: a caller must not be able to make the front end build it again
        // by naming another Host or sending an Authorization header (the default policy skips both).
        using var first = await _client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var cached = await first.Content.ReadAsStringAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("http://attacker.example/openapi/v1.json?fresh=1"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-a-token");

        using var second = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.NotNull(second.Headers.Age);
        var body = await second.Content.ReadAsStringAsync();
        Assert.Equal(cached, body);
        Assert.DoesNotContain("attacker.example", body, StringComparison.Ordinal);
        Assert.True(JsonNode.Parse(body)!["servers"] is null or JsonArray { Count: 0 });
    }

    [Fact]
    public async Task OpenApiDocument_ADocumentThatDoesNotExist_NeverServedFromTheCache()
    {
        using var first = await _client.GetAsync(new Uri("/openapi/v2.json", UriKind.Relative));
        using var second = await _client.GetAsync(new Uri("/openapi/v2.json", UriKind.Relative));

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (first.StatusCode, second.StatusCode));
        Assert.Null(second.Headers.Age);
    }

    [Fact]
    public void ClusterClient_RunsWithTheFrontEndsDeadlineForAGrainCall()
    {
        // What the running front end's Orleans client was given, not what a file says: a grain call
        // stuck on a stalled silo ends at FrontEnd's deadline (503 and Retry-After), not at Orleans'
        // 30 s default. (The configuration files' values: ClusterProfileTests.)
        var services = fixture.FrontEndA.Services;
        var frontEnd = services.GetRequiredService<IOptions<FrontEndOptions>>().Value;
        var messaging = services.GetRequiredService<IOptions<ClientMessagingOptions>>().Value;

        Assert.Equal(frontEnd.ResponseTimeout, messaging.ResponseTimeout);
        Assert.True(messaging.ResponseTimeout <= TimeSpan.FromSeconds(5), $"{messaging.ResponseTimeout}");
    }

    [Fact]
    public async Task Health_LiveAndReadyAreHealthy()
    {
        using var live = await _client.GetAsync(new Uri("/health/live", UriKind.Relative));
        using var ready = await _client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UnknownRoute_ProblemDetails404()
    {
        using var response = await _client.GetAsync(new Uri("/no-such-thing", UriKind.Relative));
        await AssertProblemAsync(response, HttpStatusCode.NotFound, "http-404");
    }

    [Fact]
    public async Task Dashboard_WithoutCredentials_401Challenge()
    {
        using var response = await _client.GetAsync(new Uri("/dashboard/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Basic", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_WrongPassword_401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/dashboard/DashboardCounters", UriKind.Relative));
        request.Headers.Authorization = Basic("operator", "wrong");
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Dashboard_WithCredentials_ServesPageAndCountersButNotGrainState()
    {
        async Task<HttpResponseMessage> GetAsync(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            request.Headers.Authorization = Basic(Testing.FrontEndFactory.DashboardUser, ApiFixture.DashboardPassword);
            return await _client.SendAsync(request);
        }

        using var page = await GetAsync("/dashboard/");

        // The counters come from the dashboard grain, whose first call (its activation, a round of every
        // silo) may outlast the 5 s response timeout on a loaded host: a 500 then, served once it answers.
        var counters = await GetAsync("/dashboard/DashboardCounters");
        for (var deadline = DateTime.UtcNow.AddMinutes(1); counters.StatusCode == HttpStatusCode.InternalServerError && DateTime.UtcNow < deadline;)
        {
            counters.Dispose();
            await Task.Delay(500);
            counters = await GetAsync("/dashboard/DashboardCounters");
        }

        using var countersAnswer = counters;
        using var state = await GetAsync("/dashboard/GrainState?grainId=x&grainType=y");
        using var slash = await GetAsync("/dashboard/GrainState/?grainId=x&grainType=y");
        using var lower = await GetAsync("/dashboard/grainstate?grainId=x&grainType=y");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
        Assert.NotNull(JsonNode.Parse(await counters.Content.ReadAsStringAsync())!["hosts"]);
        Assert.Equal(HttpStatusCode.NotFound, state.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, slash.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, lower.StatusCode);
    }

    [Fact]
    public async Task Dashboard_NoPasswordConfigured_NotServed()
    {
        using var clientB = fixture.FrontEndB.CreateClient();
        using var response = await clientB.GetAsync(new Uri("/dashboard/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
