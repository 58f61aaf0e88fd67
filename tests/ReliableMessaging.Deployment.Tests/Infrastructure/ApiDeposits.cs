using System.Net;
using System.Net.Http.Json;

namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>Deposits over HTTP as a client sends them, for the gray-failure tests.</summary>
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
}
