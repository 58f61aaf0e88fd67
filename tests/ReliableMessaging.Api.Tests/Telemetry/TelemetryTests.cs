using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Builder;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using ReliableMessaging.Api.Hosting;
using ReliableMessaging.Grains.Telemetry;
using ReliableMessaging.Tooling;
using static ReliableMessaging.Api.Tests.Http;

namespace ReliableMessaging.Api.Tests.Telemetry;

/// <summary>
/// The front end's Prometheus endpoint and the traces after real traffic. The test cluster's silos
/// run in this process, so the front end's meter provider also sees the grains' measurements; in a
/// deployment each silo serves its own on <c>Telemetry:PrometheusPort</c>.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed partial class TelemetryTests(ApiFixture fixture)
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
        Assert.Equal(1, Delta("reliablemessaging_state_write_duration_seconds_count", ("outcome", "ok"), ("state", "account")));
        Assert.Equal(1, Delta("reliablemessaging_commit_batch_size_count"));
        Assert.Equal(1, Delta("reliablemessaging_commit_batch_size_sum"));
        Assert.Equal(1, Delta("reliablemessaging_state_write_size_bytes_count", ("state", "account")));
        Assert.True(Delta("reliablemessaging_state_write_size_bytes_sum") > 0);
        Assert.Contains("http_server_request_duration_seconds", after.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE reliablemessaging_state_write_duration_seconds histogram", after.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_ATransfer_ItsIndexWriteCountedApartFromAccountWrites()
    {
        var (from, to) = await OpenTransferPairAsync(_client, 1000);
        var before = await PrometheusScrape.ReadAsync(_client);

        using (var response = await PostAsync(_client, "/transfers", NewKey(), $$"""{"from":"{{from}}","to":"{{to}}","amount":10}"""))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var after = await PrometheusScrape.ReadAsync(_client);
        double Delta(string name, params (string, string)[] labels) => after.Sum(name, labels) - before.Sum(name, labels);
        Assert.Equal(1, Delta("reliablemessaging_state_write_duration_seconds_count", ("outcome", "ok"), ("state", "transfer")));
        Assert.Equal(1, Delta("reliablemessaging_state_write_size_bytes_count", ("state", "transfer")));
        Assert.True(Delta("reliablemessaging_state_write_duration_seconds_count", ("outcome", "ok"), ("state", "account")) >= 1, "the debit's write");
    }

    [Fact]
    public async Task Scrape_AfterOperationsAndACompletedTransfer_ServesEveryMetricAndLabelTheDashboardQueries()
    {
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(RepositoryPaths.Combine("monitoring", "grafana", "dashboards", "reliablemessaging.json")));
        var queried = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .SelectMany(target => QueriedName().Matches(target.GetProperty("expr").GetString()!).Select(match => match.Value))
            .ToHashSet();
        // The journal's failures are left to MonitoringComposeTests (their series start with the journal
        // writer). The overdue transfers' series is served at 0 from the start (or TransferOverdue would
        // miss each silo's first), so it must be in every scrape.
        var onlyOnFaults = new[] { "reliablemessaging_journal_append_failures_total" };
        Assert.Superset(onlyOnFaults.ToHashSet(), queried);

        var (from, to) = await OpenTransferPairAsync(_client, 1000);
        using (var withdrawal = await WithdrawAsync(_client, from, NewKey(), 10))
        using (var transfer = await PostAsync(_client, "/transfers", NewKey(), $$"""{"from":"{{from}}","to":"{{to}}","amount":10}"""))
        {
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Accepted), (withdrawal.StatusCode, transfer.StatusCode));
        }

        // The delivery time is recorded when the source learns of the credit, after the 202: scrape until it is in.
        var missing = queried.Except(onlyOnFaults).ToList();
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15); missing.Count > 0 && DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            var scrape = (await PrometheusScrape.ReadAsync(_client)).Text;
            missing = missing.Where(name => !scrape.Contains(name, StringComparison.Ordinal)).ToList();
        }

        Assert.True(missing.Count == 0, "not in the scrape: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Scrape_FromAnotherHost_NotServed_FromThisHost_Served()
    {
        var remote = await fixture.FrontEndA.Server.SendAsync(context =>
        {
            context.Request.Method = "GET";
            context.Request.Path = "/metrics";
            context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
            context.Connection.LocalIpAddress = IPAddress.Parse("192.0.2.10");
        });
        var local = await fixture.FrontEndA.Server.SendAsync(context =>
        {
            context.Request.Method = "GET";
            context.Request.Path = "/metrics";
            context.Connection.RemoteIpAddress = IPAddress.Loopback;
        });

        // Read the scrape to its end: a scrape left unread holds the exporter's collection for the next one.
        using var body = new StreamReader(local.Response.Body);
        var scrape = await body.ReadToEndAsync();
        // A remote caller gets no scrape: with the API's fallback policy it is refused (401) before
        // it even learns whether the route exists.
        Assert.Equal(401, remote.Response.StatusCode);
        Assert.Equal(200, local.Response.StatusCode);
        Assert.Contains("target_info", scrape, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9", true)]
    [InlineData(null, false)]
    public async Task FrontEnd_TracesExportedOnlyWithAnOtlpEndpoint_MetricsAlways(string? endpoint, bool traced)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Telemetry:OtlpEndpoint"] = endpoint;
        builder.AddFrontEndTelemetry();
        await using var app = builder.Build();

        Assert.Equal(traced, app.Services.GetService<TracerProvider>() is not null);
        Assert.NotNull(app.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task FrontEnd_TelemetryDisabled_NoMeterOrTracerProvider()
    {
        // Not started: a started app would register ASP.NET Core's meters beside the shared fixture's,
        // and disposing them would end the fixture's http.server metric streams too.
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Telemetry:Enabled"] = "false";
        builder.Configuration["Telemetry:OtlpEndpoint"] = "http://127.0.0.1:9";
        builder.AddFrontEndTelemetry();
        await using var app = builder.Build();
        app.MapFrontEndTelemetry();

        Assert.Null(app.Services.GetService<MeterProvider>());
        Assert.Null(app.Services.GetService<TracerProvider>());
    }

    [Fact]
    public async Task Withdrawal_SpansOfTheRequestTheGrainCallAndTheStorageWriteShareOneTrace()
    {
        var accountId = await OpenWithBalanceAsync(_client, 1000);
        using var spans = new StoppedSpans();

        using var response = await WithdrawAsync(_client, accountId, NewKey(), 100);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The grain call on the silo carries the account; its trace must start at the HTTP request and reach the database.
        var grainCall = await spans.WaitAsync(a => IsWithdrawalCallOf(a, accountId), "grain call");
        await spans.WaitAsync(a => a.TraceId == grainCall.TraceId && a.Source.Name == "Microsoft.AspNetCore", "HTTP request");
        await spans.WaitAsync(a => a.TraceId == grainCall.TraceId && a.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && a.Kind == ActivityKind.Client, "grain client");
        await spans.WaitAsync(a => a.TraceId == grainCall.TraceId && a.Source.Name == "Npgsql", "storage write");
        var trace = spans.All.Where(a => a.TraceId == grainCall.TraceId).ToList();
        Assert.Single(spans.All, a => IsWithdrawalCallOf(a, accountId));
        var request = Assert.Single(trace, a => a.Source.Name == "Microsoft.AspNetCore");
        Assert.Equal(ActivityKind.Server, request.Kind);
        Assert.Null(request.Parent);
    }

    [Fact]
    public async Task Withdrawal_CallersTraceparentAndBaggage_NotContinued_TheRequestStartsItsOwnTrace()
    {
        // A caller's sampled flag would decide whether the service records its requests, and its baggage
        // would ride along with every grain call: at the edge, neither is taken.
        var accountId = await OpenWithBalanceAsync(_client, 1000);
        var callersTrace = ActivityTraceId.CreateRandom();
        using var spans = new StoppedSpans();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/accounts/{accountId}/withdrawals", UriKind.Relative))
        {
            Content = new StringContent("""{"amount":100}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", NewKey());
        request.Headers.Add("traceparent", $"00-{callersTrace}-{ActivitySpanId.CreateRandom()}-01");
        request.Headers.Add("baggage", "injected=by-the-caller");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var grainCall = await spans.WaitAsync(a => IsWithdrawalCallOf(a, accountId), "grain call");
        var server = await spans.WaitAsync(a => a.TraceId == grainCall.TraceId && a.Source.Name == "Microsoft.AspNetCore", "HTTP request");
        Assert.NotEqual(callersTrace, grainCall.TraceId);
        Assert.Equal(default, server.ParentSpanId);
        Assert.DoesNotContain(spans.All, a => a.TraceId == callersTrace);
        Assert.DoesNotContain(spans.All.Where(a => a.TraceId == grainCall.TraceId), a => a.Baggage.Any(item => item.Key == "injected"));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("false", true)]
    public async Task FrontEnd_IncomingTraceContext_IgnoredUnlessTrusted(string? trust, bool ignored)
    {
        // Not started (see FrontEnd_TelemetryDisabled_NoMeterOrTracerProvider). Only the untrusted cases:
        // OpenTelemetry's default propagator is process-wide, and the shared front end is untrusted.
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Telemetry:TrustIncomingTraceContext"] = trust;
        builder.AddFrontEndTelemetry();
        await using var app = builder.Build();

        Assert.Equal(ignored, app.Services.GetRequiredService<DistributedContextPropagator>() is EdgeTraceContextPropagator);
        Assert.Equal(ignored, OpenTelemetry.Context.Propagation.Propagators.DefaultTextMapPropagator is EdgeTextMapPropagator);
    }

    [Fact]
    public async Task FrontEnd_IncomingTraceContextTrusted_ASPNetCoreContinuesIt()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Telemetry:TrustIncomingTraceContext"] = "true";
        builder.Configuration["Telemetry:Enabled"] = "false";
        builder.AddFrontEndTelemetry();
        await using var app = builder.Build();

        Assert.IsNotType<EdgeTraceContextPropagator>(app.Services.GetRequiredService<DistributedContextPropagator>());
    }

    private static bool IsWithdrawalCallOf(Activity activity, string accountId) =>
        activity.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && activity.Kind == ActivityKind.Server
        && (string?)activity.GetTagItem(AccountCallTelemetryFilter.AccountIdTag) == accountId && activity.DisplayName.Contains("Withdraw", StringComparison.Ordinal);

    [GeneratedRegex(@"(reliablemessaging|http_server)_[a-z_]+")]
    private static partial Regex QueriedName();
}
