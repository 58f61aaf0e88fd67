using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>Deposits and reads over HTTP as a client sends them, for the gray-failure tests.</summary>
public static class ApiDeposits
{
    /// <summary>
    /// POSTs a deposit under <paramref name="operationId"/>; returns its status and whether it was a replay.
    /// An HTTP timeout is no answer (408), as a client would see it.
    /// </summary>
    public static async Task<(HttpStatusCode Status, bool Replayed)> DepositAsync(HttpClient http, string account, Guid operationId, long amount)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"accounts/{account}/deposits") { Content = JsonContent.Create(new { amount }) };
        request.Headers.Add("Idempotency-Key", operationId.ToString());
        try
        {
            using var response = await http.SendAsync(request);
            return (response.StatusCode, response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Contains("true"));
        }
        catch (TaskCanceledException)
        {
            // The HTTP timeout: no answer, as a client would see it.
            return (HttpStatusCode.RequestTimeout, false);
        }
    }

    /// <summary>How long a client goes on retrying an answer the service says is retryable (503) after a silo left.</summary>
    public static readonly TimeSpan RetryFor = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <see cref="DepositAsync"/> sent again with its key while the answer is 503, as a client does (a
    /// front end may still try a gateway that just left, until membership says so): the first other answer.
    /// </summary>
    public static async Task<(HttpStatusCode Status, bool Replayed)> DepositRetryingAsync(HttpClient http, string account, Guid operationId, long amount)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var answer = await DepositAsync(http, account, operationId, amount);
            if (answer.Status != HttpStatusCode.ServiceUnavailable || clock.Elapsed > RetryFor)
            {
                return answer;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>GETs <paramref name="path"/> as a client does, again while the answer is 503; any other failure throws.</summary>
    public static async Task<JsonDocument> ReadJsonAsync(HttpClient http, string path)
    {
        ArgumentNullException.ThrowIfNull(http);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || clock.Elapsed > RetryFor)
            {
                response.EnsureSuccessStatusCode();
                return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
