using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using ReliableMessaging.Grains.Telemetry;
using static ReliableMessaging.Api.Tests.Http;

namespace ReliableMessaging.Api.Tests.Telemetry;

/// <summary>
/// The front end's Prometheus endpoint and the traces after real traffic. The test cluster's silos
/// run in this process, so the front end's meter provider also sees the grains' measurements; in a
/// deployment each silo serves its own on <c>Telemetry:PrometheusPort</c>.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class TelemetryTests(ApiFixture fixture)
{
    private const string Operations = "reliablemessaging_operations_total";
    private readonly HttpClient _client = fixture.FrontEndA.CreateClient();

    [Fact]
    public async Task Scrape_AfterAKeySentTwice_OneExecutionAndOneReplayCounted()
    {
        var accountId = await OpenWithBalanceAsync(_client, 1000);
        var key = NewKey();
        var before = await PrometheusScrape.ReadAsync(_client);

        using (await WithdrawAsync(_client, accountId, key, 100))
        using (await WithdrawAsync(_client, accountId, key, 100))
        using (await WithdrawAsync(_client, accountId, key, 999))
        {
            // Executed, replayed, refused (same key, other amount).
        }

        var after = await PrometheusScrape.ReadAsync(_client);
        double Delta(string name, params (string, string)[] labels) => after.Sum(name, labels) - before.Sum(name, labels);
        Assert.Equal(1, Delta(Operations, ("reliablemessaging_operation_kind", "withdrawal"), ("reliablemessaging_operation_outcome", "executed"), ("reliablemessaging_operation_status", "succeeded")));
        Assert.Equal(1, Delta(Operations, ("reliablemessaging_operation_kind", "withdrawal"), ("reliablemessaging_operation_outcome", "replayed"), ("reliablemessaging_operation_status", "succeeded")));
        Assert.Equal(1, Delta(Operations, ("reliablemessaging_operation_kind", "withdrawal"), ("reliablemessaging_operation_outcome", "refused"), ("reliablemessaging_operation_status", "operation_id_reused")));
        Assert.Equal(3, Delta(Operations, ("reliablemessaging_operation_kind", "withdrawal")));
        // One state write for the one execution: a replay and a refusal write nothing.
        Assert.Equal(1, Delta("reliablemessaging_state_write_duration_seconds_count", ("outcome", "ok")));
        Assert.Equal(1, Delta("reliablemessaging_commit_batch_size_count"));
        Assert.Equal(1, Delta("reliablemessaging_commit_batch_size_sum"));
        Assert.Equal(1, Delta("reliablemessaging_state_write_size_bytes_count"));
        Assert.True(Delta("reliablemessaging_state_write_size_bytes_sum") > 0);
        Assert.Contains("http_server_request_duration_seconds", after.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE reliablemessaging_state_write_duration_seconds histogram", after.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Withdrawal_SpansOfTheRequestTheGrainCallAndTheStorageWriteShareOneTrace()
    {
        var accountId = await OpenWithBalanceAsync(_client, 1000);
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                || source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) || source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        using var response = await WithdrawAsync(_client, accountId, NewKey(), 100);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var request = stopped.Single(a => a.Source.Name == "Microsoft.AspNetCore" && a.GetTagItem("url.path") is string path && path.EndsWith($"/{accountId}/withdrawals", StringComparison.Ordinal));
        var trace = stopped.Where(a => a.TraceId == request.TraceId).ToList();
        var grainCall = trace.Where(a => a.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && a.Kind == ActivityKind.Server).ToList();
        Assert.Contains(grainCall, a => (string?)a.GetTagItem(AccountCallTelemetryFilter.AccountIdTag) == accountId);
        Assert.Contains(trace, a => a.Source.Name == "Npgsql");
    }
}
