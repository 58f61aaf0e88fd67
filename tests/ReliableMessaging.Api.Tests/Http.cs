using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ReliableMessaging.Api.Tests;

/// <summary>Small helpers to send requests as raw HTTP and read answers as raw JSON.</summary>
public static class Http
{
    public static string NewAccountId() => $"acct-{Guid.NewGuid():N}";

    public static string NewKey() => Guid.CreateVersion7().ToString();

    public static async Task<HttpResponseMessage> OpenAsync(HttpClient client, string accountId) =>
        await client.PutAsync(new Uri($"/accounts/{accountId}", UriKind.Relative), null);

    public static async Task<string> OpenWithBalanceAsync(HttpClient client, long balance)
    {
        var accountId = NewAccountId();
        using var open = await OpenAsync(client, accountId);
        Assert.Equal(HttpStatusCode.Created, open.StatusCode);
        if (balance > 0)
        {
            using var deposit = await PostAsync(client, $"/accounts/{accountId}/deposits", NewKey(), $$"""{"amount": {{balance}}}""");
            Assert.Equal(HttpStatusCode.OK, deposit.StatusCode);
        }

        return accountId;
    }

    /// <summary>Two new accounts for a transfer: a source holding <paramref name="fromBalance"/> and an empty destination.</summary>
    public static async Task<(string From, string To)> OpenTransferPairAsync(HttpClient client, long fromBalance) =>
        (await OpenWithBalanceAsync(client, fromBalance), await OpenWithBalanceAsync(client, 0));

    /// <summary>A deposit to a new account under <paramref name="key"/> (null: no header) is refused 400 with the key's <paramref name="code"/>.</summary>
    public static async Task AssertDepositKeyRefusedAsync(HttpClient client, string? key, string code)
    {
        var accountId = await OpenWithBalanceAsync(client, 0);
        using var response = await DepositAsync(client, accountId, key, 10);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, code);
        Assert.Equal(0L, await BalanceAsync(client, accountId));
    }

    /// <summary>The account's committed balance (the account must exist).</summary>
    public static async Task<long> BalanceAsync(HttpClient client, string accountId)
    {
        using var response = await client.GetAsync(new Uri($"/accounts/{accountId}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (long)(await JsonAsync(response))["balance"]!;
    }

    public static Task<HttpResponseMessage> DepositAsync(HttpClient client, string accountId, string? key, long amount) =>
        PostAsync(client, $"/accounts/{accountId}/deposits", key, $$"""{"amount": {{amount}}}""");

    public static Task<HttpResponseMessage> WithdrawAsync(HttpClient client, string accountId, string? key, long amount) =>
        PostAsync(client, $"/accounts/{accountId}/withdrawals", key, $$"""{"amount": {{amount}}}""");

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string? key, string body, string mediaType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, mediaType),
        };
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        return await client.SendAsync(request);
    }

    /// <summary>A keyed POST whose Content-Type header is sent exactly as given (StringContent would refuse or rewrite a bad one).</summary>
    public static async Task<HttpResponseMessage> PostWithContentTypeAsync(HttpClient client, string path, string contentType, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", NewKey());
        return await client.SendAsync(request);
    }

    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    /// <summary>Asserts an RFC 9457 answer with the given status and stable code.</summary>
    public static async Task<JsonObject> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!.AsObject();
        Assert.Equal($"urn:reliable-messaging:problem:{code}", (string?)problem["type"]);
        Assert.Equal((int)status, (int?)problem["status"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["title"]));
        // The code's published title, also when the framework wrote the problem (it writes its reason phrase).
        if (ReliableMessaging.Api.Problems.ApiProblem.All.FirstOrDefault(known => known.Code == code && known.Status == (int)status) is { } published)
        {
            Assert.Equal(published.Title, (string?)problem["title"]);
        }

        return problem;
    }

    public static bool IsReplayed(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Single() == "true";

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public static string Canonical(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
