using System.Net;
using ReliableMessaging.Testing;
using static ReliableMessaging.Api.Tests.Http;

namespace ReliableMessaging.Api.Tests.Security;

/// <summary>
/// The per-caller limit, on the fixture's front end with a tiny bucket (3 requests, 1 more per
/// second; replays 20, 1 more per second; each test its own callers): 429 with Retry-After past it,
/// other callers unaffected, replays never charged to the requests' bucket but bounded by their own.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class RateLimitTests(ApiFixture fixture)
{
    [Fact]
    public async Task OverTheLimit_429RateLimitedWithRetryAfter_OtherCallersUnaffected()
    {
        var frontEnd = fixture.FrontEndLimited;
        using var greedy = frontEnd.CreateClient();
        greedy.DefaultRequestHeaders.Authorization = Tokens.Bearer(FrontEndFactory.Token(Api.Security.ApiScopes.All, subject: $"greedy-{Guid.NewGuid():N}"));
        var accountId = NewAccountId();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        var started = DateTimeOffset.UtcNow;
        for (var i = 0; i < 10 && refused is null; i++)
        {
            var response = await greedy.GetAsync(new Uri($"/accounts/{accountId}", UriKind.Relative));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.True(refused is not null, $"never refused: {string.Join(", ", statuses)}");
        using (refused)
        {
            // The bucket holds LimitedBurst and refills one a second: a slow host earns a request more per second.
            var seconds = (DateTimeOffset.UtcNow - started).TotalSeconds;
            Assert.True(statuses.Count >= ApiFixture.LimitedBurst + 1 && statuses.Count <= ApiFixture.LimitedBurst + 2 + (int)Math.Floor(seconds),
                $"refused after {statuses.Count - 1} requests in {seconds:F1} s: {string.Join(", ", statuses)}");
            await AssertProblemAsync(refused, HttpStatusCode.TooManyRequests, "rate-limited");
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.Headers.RetryAfter}");
        }

        using var other = frontEnd.CreateClient();
        other.DefaultRequestHeaders.Authorization = Tokens.Bearer(FrontEndFactory.Token(Api.Security.ApiScopes.All, subject: $"other-{Guid.NewGuid():N}"));
        using var answered = await other.GetAsync(new Uri($"/accounts/{accountId}", UriKind.Relative));
        await AssertProblemAsync(answered, HttpStatusCode.NotFound, "account-not-found");
    }

    [Fact]
    public async Task ConcurrentBurst_AtMostTheBucketPasses_TheRest429()
    {
        // Checked and charged separately, all of these could pass the check before the first was charged.
        var accountId = await OpenWithBalanceAsync(fixture.FrontEndA.CreateClient(), 0);
        using var flood = fixture.FrontEndLimited.CreateClient();
        flood.DefaultRequestHeaders.Authorization = Tokens.Bearer(FrontEndFactory.Token(Api.Security.ApiScopes.All, subject: $"flood-{Guid.NewGuid():N}"));

        var started = DateTimeOffset.UtcNow;
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            using var response = await DepositAsync(flood, accountId, NewKey(), 1);
            return response.StatusCode;
        }));
        var seconds = (DateTimeOffset.UtcNow - started).TotalSeconds;

        var passed = answers.Count(status => status == HttpStatusCode.OK);
        Assert.All(answers, status => Assert.True(status is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, status.ToString()));
        // The bucket holds 3 and refills 1 per second while the burst lasts.
        Assert.True(passed >= 1 && passed <= ApiFixture.LimitedBurst + (int)Math.Ceiling(seconds) + 1, $"{passed} of 40 passed in {seconds:F1} s");
        using var reader = fixture.FrontEndA.CreateClient();
        Assert.Equal((long)passed, await BalanceAsync(reader, accountId));
    }

    [Fact]
    public async Task Replays_NotCharged_ManyRetriesOfARecordedOperationAllAnswered()
    {
        var accountId = await OpenWithBalanceAsync(fixture.FrontEndA.CreateClient(), 1000);
        var frontEnd = fixture.FrontEndLimited;
        using var atm = frontEnd.CreateClient();
        atm.DefaultRequestHeaders.Authorization = Tokens.Bearer(FrontEndFactory.Token(Api.Security.ApiScopes.All, subject: $"atm-{Guid.NewGuid():N}"));
        var key = NewKey();

        using (var first = await WithdrawAsync(atm, accountId, key, 100))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.False(IsReplayed(first));
        }

        // Charged to the requests' bucket, these 12 would exhaust the bucket of 3 (refilling at 1/s) many times over.
        for (var i = 0; i < 12; i++)
        {
            using var retry = await WithdrawAsync(atm, accountId, key, 100);
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            Assert.True(IsReplayed(retry));
        }

        using var reader = fixture.FrontEndA.CreateClient();
        Assert.Equal(900L, await BalanceAsync(reader, accountId));
    }

    [Fact]
    public async Task Replays_PastTheirOwnBucket_429WithRetryAfter_NeverExecutedAgain()
    {
        // Free without end, a replay (a journal read, once the record has left the window) would be a
        // way to make the service work for nothing: the replays' own bucket refuses past its burst.
        var accountId = await OpenWithBalanceAsync(fixture.FrontEndA.CreateClient(), 1000);
        using var looper = fixture.FrontEndLimited.CreateClient();
        looper.DefaultRequestHeaders.Authorization = Tokens.Bearer(FrontEndFactory.Token(Api.Security.ApiScopes.All, subject: $"looper-{Guid.NewGuid():N}"));
        var key = NewKey();
        using (var first = await WithdrawAsync(looper, accountId, key, 100))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var replayed = 0;
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        HttpResponseMessage? refused = null;
        while (refused is null && replayed < ApiFixture.LimitedReplayBurst * 3)
        {
            var retry = await WithdrawAsync(looper, accountId, key, 100);
            if (retry.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = retry;
                break;
            }

            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            Assert.True(IsReplayed(retry));
            retry.Dispose();
            replayed++;
        }

        using (refused)
        {
            Assert.NotNull(refused);
            Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
            Assert.Contains("rate-limited", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The bucket of 20 refills one a second while the loop runs.
        Assert.InRange(replayed, ApiFixture.LimitedReplayBurst, ApiFixture.LimitedReplayBurst + 1 + (int)Math.Ceiling(elapsed.Elapsed.TotalSeconds));
        using var reader = fixture.FrontEndA.CreateClient();
        Assert.Equal(900L, await BalanceAsync(reader, accountId));
    }

    [Theory]
    [InlineData("not-json")]
    [InlineData("too-large")]
    [InlineData("unknown-charset")]
    public async Task RequestsRefusedWhileTheyAreRead_LimitedAndChargedLikeAnyOther(string refusal)
    {
        // The framework refuses these while binding (or before), before any endpoint filter: uncharged,
        // a caller could send them without limit, and with its bucket empty still got its 400s.
        var accountId = await OpenWithBalanceAsync(fixture.FrontEndA.CreateClient(), 1000);
        using var sloppy = fixture.FrontEndLimited.CreateClient();
        sloppy.DefaultRequestHeaders.Authorization = Tokens.Bearer(FrontEndFactory.Token(Api.Security.ApiScopes.All, subject: $"sloppy-{Guid.NewGuid():N}"));
        Task<HttpResponseMessage> Send() => refusal switch
        {
            "not-json" => PostAsync(sloppy, $"/accounts/{accountId}/withdrawals", NewKey(), "{"),
            "too-large" => PostAsync(sloppy, $"/accounts/{accountId}/withdrawals", NewKey(), $$"""{"amount":100,"pad":"{{new string('x', 5000)}}"}"""),
            _ => PostWithContentTypeAsync(sloppy, $"/accounts/{accountId}/withdrawals", "application/json; charset=x-bogus", """{"amount":100}"""),
        };

        var statuses = new List<HttpStatusCode>();
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (statuses.Count < 20 && !statuses.Contains(HttpStatusCode.TooManyRequests))
        {
            using var response = await Send();
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        var refused = statuses.Count(status => status != HttpStatusCode.TooManyRequests);
        Assert.True(refused >= ApiFixture.LimitedBurst && refused <= ApiFixture.LimitedBurst + 1 + (int)Math.Ceiling(elapsed.Elapsed.TotalSeconds), string.Join(", ", statuses));
        Assert.All(statuses.Where(status => status != HttpStatusCode.TooManyRequests), status => Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnsupportedMediaType, status.ToString()));

        // None of them ran.
        using var reader = fixture.FrontEndA.CreateClient();
        Assert.Equal(1000L, await BalanceAsync(reader, accountId));
    }
}
