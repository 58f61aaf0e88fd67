using System.Net;
using System.Text.Json.Nodes;

namespace ReliableMessaging.Api.Tests.Reference;

/// <summary>The OpenAPI document declares the Idempotency-Key header; the Scalar reference page is served beside it.</summary>
[Collection(ApiCollection.Name)]
public sealed class ApiReferenceTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.FrontEndA.CreateClient();

    [Fact]
    public async Task OpenApiDocument_EveryPost_DeclaresTheRequiredIdempotencyKeyHeaderAndTheReplayHeader()
    {
        using var response = await _client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        var posts = document["paths"]!.AsObject().Where(path => path.Value!["post"] is not null).ToList();
        Assert.Equal(["/accounts/{accountId}/deposits", "/accounts/{accountId}/withdrawals", "/transfers"], posts.Select(path => path.Key).Order());
        foreach (var (path, item) in posts)
        {
            var post = item!["post"]!;
            var key = Assert.Single(post["parameters"]!.AsArray(), parameter => (string?)parameter!["name"] == "Idempotency-Key");
            Assert.Equal("header", (string?)key!["in"]);
            Assert.True((bool?)key["required"], path);
            Assert.NotNull(post["responses"]!["200"]?["headers"]?["Idempotent-Replayed"] ?? post["responses"]!["202"]?["headers"]?["Idempotent-Replayed"]);
        }

        Assert.Null(document["paths"]!["/accounts/{accountId}"]!["get"]!["parameters"]!.AsArray()
            .FirstOrDefault(parameter => (string?)parameter!["name"] == "Idempotency-Key"));
    }

    [Fact]
    public async Task ReferencePage_ServedWithItsScriptFromThisServer()
    {
        using var page = await _client.GetAsync(new Uri("/reference/v1", UriKind.Relative));
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("ReliableMessaging API reference", html, StringComparison.Ordinal);
        Assert.Contains("\"url\":\"openapi/v1.json\"", html, StringComparison.Ordinal);
        Assert.Contains("\"telemetry\":false", html, StringComparison.Ordinal);
        Assert.DoesNotContain("fonts.scalar.com", html, StringComparison.Ordinal);
        using var script = await _client.GetAsync(new Uri("/reference/scalar.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }
}
