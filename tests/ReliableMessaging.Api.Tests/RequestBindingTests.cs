using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ReliableMessaging.Testing;
using static ReliableMessaging.Api.Tests.Http;

namespace ReliableMessaging.Api.Tests;

/// <summary>
/// The edges of request binding (typed bodies bound by the framework with strict JSON options,
/// validated by their attributes, the Idempotency-Key bound from its header): each failure is
/// answered with the API's stable problem code, and nothing executes.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class RequestBindingTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.FrontEndA.CreateClient();

    /// <summary>A withdrawal with <paramref name="body"/> from an account holding 500: a 400 with <paramref name="code"/>, and the balance untouched.</summary>
    private async Task AssertWithdrawalRefusedAsync(string body, string code)
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);

        using var response = await PostAsync(_client, $"/accounts/{accountId}/withdrawals", NewKey(), body);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, code);
        Assert.Equal(500L, await BalanceAsync(_client, accountId));
    }

    [Theory]
    [InlineData("""{"amount": 1, "Amount": 1000000}""")]
    [InlineData("""{"AMOUNT": 1, "amount": 1}""")]
    public Task Post_AmountGivenTwiceInAnyCase_400InvalidRequestAndNothingChanges(string body) =>
        AssertWithdrawalRefusedAsync(body, "invalid-request");

    [Fact]
    public async Task Transfer_MemberGivenTwice_400InvalidRequestAndNothingDebited()
    {
        var (from, to) = await OpenTransferPairAsync(_client, 500);

        using var response = await PostAsync(_client, "/transfers", NewKey(), $$"""{"from":"{{from}}","to":"{{to}}","to":"{{from}}","amount":10}""");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request");
        Assert.Equal(500L, await BalanceAsync(_client, from));
    }

    [Fact]
    public async Task Post_UnknownMembers_IgnoredAsBefore()
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);

        using var response = await PostAsync(
            _client, $"/accounts/{accountId}/withdrawals", NewKey(), """{"amount": 40, "note": "rent", "note": "twice", "meta": {"tags": [1, 2]}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(460L, (long)(await JsonAsync(response))["balanceAfter"]!);
    }

    [Theory]
    [InlineData("""{"amount": null}""")]
    [InlineData("""{"amount": true}""")]
    [InlineData("""{"amount": {"value": 5}}""")]
    [InlineData("""{"amount": 1e3}""")]
    public Task Post_AmountNotAnInteger_400InvalidAmountAndNothingChanges(string body) =>
        AssertWithdrawalRefusedAsync(body, "invalid-amount");

    [Fact]
    public async Task Post_BodyIsJsonNull_400InvalidRequest_InTheApisWordsNotTheFrameworks()
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);

        using var response = await PostAsync(_client, $"/accounts/{accountId}/withdrawals", NewKey(), "null");

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request");
        var detail = (string?)problem["detail"];
        Assert.Contains("one JSON object", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Implicit", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Service", detail, StringComparison.Ordinal);
        Assert.Equal(500L, await BalanceAsync(_client, accountId));
    }

    [Fact]
    public async Task Statement_LimitGivenTwice_400InvalidRequest_NamesNoCSharpType()
    {
        var accountId = await OpenWithBalanceAsync(_client, 0);

        using var response = await _client.GetAsync(new Uri($"/accounts/{accountId}/operations?limit=5&limit=6", UriKind.Relative));

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request");
        var detail = (string?)problem["detail"];
        Assert.DoesNotContain("Failed to bind", detail, StringComparison.Ordinal);
        Assert.Contains("documented form", detail, StringComparison.Ordinal);
    }

    [Fact]
    public Task Post_NestedDeeperThanABodyCan_400InvalidRequest()
    {
        var deep = new string('[', 20) + new string(']', 20);
        return AssertWithdrawalRefusedAsync($$"""{"amount": 1, "junk": {{deep}}}""", "invalid-request");
    }

    [Theory]
    [InlineData("""{"to": "b", "amount": 10}""", "invalid-request")]
    [InlineData("""{"from": null, "to": "b", "amount": 10}""", "invalid-request")]
    [InlineData("""{"from": 5, "to": "b", "amount": 10}""", "invalid-request")]
    [InlineData("""{"from": "a", "to": "b", "amount": "10"}""", "invalid-amount")]
    [InlineData("""{"from": "a", "to": "b"}""", "invalid-amount")]
    [InlineData("""{"from": "a", "to": "b", "amount": -1}""", "invalid-amount")]
    [InlineData("""["a", "b", 10]""", "invalid-request")]
    public async Task Transfer_MalformedBody_400WithTheBodysCode(string body, string code)
    {
        using var response = await PostAsync(_client, "/transfers", NewKey(), body);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task Transfer_EmptyAccountId_400InvalidAccountIdAsBefore()
    {
        var from = await OpenWithBalanceAsync(_client, 500);

        using var response = await PostAsync(_client, "/transfers", NewKey(), $$"""{"from":"{{from}}","to":"","amount":10}""");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-account-id");
        Assert.Equal(500L, await BalanceAsync(_client, from));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public Task Post_EmptyKey_400IdempotencyKeyMissing(string key) =>
        AssertDepositKeyRefusedAsync(_client, key, "idempotency-key-missing");

    [Fact]
    public async Task Transfer_MissingOrMalformedKey_400WithTheKeysCode()
    {
        var (from, to) = await OpenTransferPairAsync(_client, 500);
        var body = $$"""{"from":"{{from}}","to":"{{to}}","amount":10}""";

        using var missing = await PostAsync(_client, "/transfers", key: null, body);
        using var malformed = await PostAsync(_client, "/transfers", "not-a-uuid", body);
        using var twoKeys = await PostAsync(_client, "/transfers", $"{NewKey()}, {NewKey()}", body);

        await AssertProblemAsync(missing, HttpStatusCode.BadRequest, "idempotency-key-missing");
        await AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "idempotency-key-malformed");
        await AssertProblemAsync(twoKeys, HttpStatusCode.BadRequest, "idempotency-key-malformed");
        Assert.Equal(500L, await BalanceAsync(_client, from));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    public async Task Post_NotJsonMediaType_415UnsupportedMediaTypeOnEveryPost(string mediaType)
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);

        using var deposit = await PostAsync(_client, $"/accounts/{accountId}/deposits", NewKey(), """{"amount": 1}""", mediaType);
        using var transfer = await PostAsync(_client, "/transfers", NewKey(), """{"from": "a", "to": "b", "amount": 1}""", mediaType);

        await AssertProblemAsync(deposit, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await AssertProblemAsync(transfer, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Equal(500L, await BalanceAsync(_client, accountId));
    }

    [Fact]
    public async Task Post_NoContentType_415UnsupportedMediaType()
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/accounts/{accountId}/withdrawals", UriKind.Relative))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"amount": 1}""")),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", NewKey());

        using var response = await _client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Equal(500L, await BalanceAsync(_client, accountId));
    }

    [Theory]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json;charset=\"UTF-8\"")]
    public async Task Post_Utf8CharsetQuotedOrInAnyCase_Executes(string contentType)
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);

        using var response = await PostWithContentTypeAsync($"/accounts/{accountId}/withdrawals", contentType);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(499L, await BalanceAsync(_client, accountId));
    }

    /// <summary>
    /// The framework's body reader throws a bare InvalidOperationException on a charset it does not
    /// know (a 500, which clients retry): it is a client mistake, answered 415 before the body is read.
    /// </summary>
    [Theory]
    [InlineData("application/json; charset=bogus")]
    [InlineData("application/json; charset=\"bogus\"")]
    [InlineData("application/json; charset=")]
    public async Task Post_UnknownCharset_415UnsupportedMediaTypeAndNothingChanges(string contentType)
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);

        using var withdrawal = await PostWithContentTypeAsync($"/accounts/{accountId}/withdrawals", contentType);
        using var transfer = await PostWithContentTypeAsync("/transfers", contentType, $$"""{"from": "{{accountId}}", "to": "b", "amount": 1}""");

        var problem = await AssertProblemAsync(withdrawal, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Contains("charset", (string)problem["detail"]!, StringComparison.Ordinal);
        await AssertProblemAsync(transfer, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Equal(500L, await BalanceAsync(_client, accountId));
    }

    private Task<HttpResponseMessage> PostWithContentTypeAsync(string path, string contentType, string body = """{"amount": 1}""") =>
        Http.PostWithContentTypeAsync(_client, path, contentType, body);

    [Fact]
    public async Task Post_JsonSuffixMediaType_Accepted()
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);
        using var response = await PostAsync(_client, $"/accounts/{accountId}/withdrawals", NewKey(), """{"amount": 1}""", "application/vnd.example+json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Post_BodyOver4KiBWithoutContentLength_413RequestTooLarge()
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);

        using var response = await SendStreamedAsync(_client, $"/accounts/{accountId}/withdrawals", OversizedBody());

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "request-too-large");
        Assert.Equal(500L, await BalanceAsync(_client, accountId));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_BodyOver4KiB_OnARealServer_413RequestTooLarge(bool streamed)
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);
        using var kestrel = new HttpClient { BaseAddress = fixture.FrontEndKestrel.ServerAddress };
        kestrel.DefaultRequestHeaders.Authorization = FrontEndFactory.FullAccess;

        using var response = streamed
            ? await SendStreamedAsync(kestrel, $"/accounts/{accountId}/withdrawals", OversizedBody())
            : await PostAsync(kestrel, $"/accounts/{accountId}/withdrawals", NewKey(), OversizedBody());

        var problem = await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "request-too-large");
        Assert.Equal("The body is larger than 4096 bytes.", (string?)problem["detail"]);
        using var ok = await WithdrawAsync(kestrel, accountId, NewKey(), 1);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(499L, await BalanceAsync(_client, accountId));
    }

    [Fact]
    public async Task Post_BodyOfExactly4KiB_Accepted()
    {
        var accountId = await OpenWithBalanceAsync(_client, 500);
        const string head = "{\"amount\": 1, \"padding\": \"";
        var body = head + new string('x', 4096 - head.Length - 2) + "\"}";
        Assert.Equal(4096, Encoding.UTF8.GetByteCount(body));

        using var response = await SendStreamedAsync(_client, $"/accounts/{accountId}/withdrawals", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_DocumentsTheBoundBodies()
    {
        using var response = await _client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var schemas = document["components"]!["schemas"]!;

        foreach (var (path, schema) in new[]
        {
            ("/accounts/{accountId}/withdrawals", "AmountRequest"),
            ("/accounts/{accountId}/deposits", "AmountRequest"),
            ("/transfers", "TransferRequest"),
        })
        {
            var post = document["paths"]![path]!["post"]!;
            var body = post["requestBody"]!;
            Assert.True((bool?)body["required"], path);
            Assert.Equal($"#/components/schemas/{schema}", (string?)body["content"]!["application/json"]!["schema"]!["$ref"]);
            Assert.NotNull(post["responses"]!["413"]);
            Assert.NotNull(post["responses"]!["415"]);
        }

        var amount = schemas["AmountRequest"]!;
        Assert.Equal(["amount"], amount["required"]!.AsArray().Select(name => (string?)name));
        Assert.Equal("integer", (string?)amount["properties"]!["amount"]!["type"]);
        Assert.Equal("int64", (string?)amount["properties"]!["amount"]!["format"]);
        Assert.Equal(1L, (long?)amount["properties"]!["amount"]!["minimum"]);
        var transfer = schemas["TransferRequest"]!;
        Assert.Equal(["amount", "from", "to"], transfer["required"]!.AsArray().Select(name => (string?)name).Order());
    }

    private static string OversizedBody() => $$"""{"amount": 1, "padding": "{{new string('x', 4100)}}"}""";

    /// <summary>A POST whose body has no Content-Length (sent chunked), so only reading it can find its size.</summary>
    private static async Task<HttpResponseMessage> SendStreamedAsync(HttpClient client, string path, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new UnknownLengthContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", NewKey());
        return await client.SendAsync(request);
    }
}
