using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Silo.Journal;
using YamlDotNet.RepresentationModel;

namespace ReliableMessaging.Deployment.Tests.Compose;

/// <summary>
/// Prometheus and Grafana in docker-compose.yml against the code: Prometheus scrapes the front end
/// and every silo where their telemetry settings put the endpoints, Grafana is provisioned with that
/// Prometheus and the dashboard, and every metric and label the dashboard and the alerting rules query
/// is one the code exports.
/// </summary>
public sealed partial class MonitoringComposeTests
{
    private readonly ComposeFile _compose = ComposeFile.Load();

    [Fact]
    public void Prometheus_ScrapesTheFrontEndAndEverySiloWhereTheirSettingsServeMetrics()
    {
        var config = LoadYaml(Mounted(_compose.Prometheus, "/etc/prometheus/prometheus.yml"));
        var targets = ((YamlSequenceNode)config.Children[new YamlScalarNode("scrape_configs")]).Children.Cast<YamlMappingNode>()
            .SelectMany(job => ((YamlSequenceNode)job.Children[new YamlScalarNode("static_configs")]).Children.Cast<YamlMappingNode>())
            .SelectMany(group => ComposeFile.Strings(group, "targets"))
            .ToHashSet();

        var expected = new HashSet<string>();
        var frontEnd = EffectiveConfiguration.ForFrontEnd(_compose.FrontEnd);
        Assert.Equal("true", frontEnd["Telemetry:AllowRemoteScrape"], ignoreCase: true);
        expected.Add($"{_compose.FrontEnd.Name}:{new Uri(frontEnd["Urls"]!.Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port}");
        foreach (var silo in _compose.Silos)
        {
            var configuration = EffectiveConfiguration.ForSilo(silo);
            var port = configuration["Telemetry:PrometheusPort"];
            Assert.False(string.IsNullOrEmpty(port), $"{silo.Name} serves no metrics (Telemetry__PrometheusPort).");
            // The listener answers requests addressed to the host it listens on: the silo's own address.
            var address = silo.Address("rm");
            Assert.Equal(address, configuration["Telemetry:PrometheusHost"]);
            Assert.Contains(port, silo.Expose);
            expected.Add($"{address}:{port}");
        }

        Assert.Equal(expected.Order(), targets.Order());
        Assert.Contains(_compose.FrontEnd.Name, _compose.Prometheus.DependsOn.Keys);
    }

    [Fact]
    public void Grafana_ProvisionedWithThePrometheusServiceAndTheDashboard()
    {
        var provisioning = Mounted(_compose.Grafana, "/etc/grafana/provisioning");
        var datasource = (YamlMappingNode)((YamlSequenceNode)LoadYaml(Path.Combine(provisioning, "datasources", "prometheus.yml"))
            .Children[new YamlScalarNode("datasources")]).Children.Single();
        var published = Assert.Single(_compose.Prometheus.Ports);
        Assert.Equal($"http://{_compose.Prometheus.Name}:{published.Split(':')[^1]}", ComposeFile.Scalar(datasource, "url"));
        Assert.Equal("prometheus", ComposeFile.Scalar(datasource, "uid"));

        var provider = (YamlMappingNode)((YamlSequenceNode)LoadYaml(Path.Combine(provisioning, "dashboards", "reliablemessaging.yml"))
            .Children[new YamlScalarNode("providers")]).Children.Single();
        var dashboards = ComposeFile.Scalar(ComposeFile.Map(provider, "options"), "path")!;
        Assert.True(File.Exists(Path.Combine(Mounted(_compose.Grafana, dashboards), "reliablemessaging.json")));
        Assert.Contains(_compose.Prometheus.Name, _compose.Grafana.DependsOn.Keys);
        Assert.All(_compose.Prometheus.Ports.Concat(_compose.Grafana.Ports), port => Assert.StartsWith("127.0.0.1:", port, StringComparison.Ordinal));
    }

    [Fact]
    public void Dashboard_EveryProjectMetricAndLabelItQueries_IsOneTheCodeExports()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Combine("monitoring", "grafana", "dashboards", "reliablemessaging.json")));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => target.GetProperty("expr").GetString()!)
            .ToList();
        var exported = ExportedNames();
        var labels = new[] { AccountMetrics.KindTag, AccountMetrics.OutcomeTag, AccountMetrics.StatusTag }.Select(tag => tag.Replace('.', '_')).ToHashSet();

        Assert.True(expressions.Count >= 8, "the dashboard lost its panels");
        var used = expressions.SelectMany(expression => ProjectName().Matches(expression).Select(match => match.Value)).ToHashSet();
        Assert.All(used.Where(name => !labels.Contains(name)), name => Assert.Contains(name, exported));
        // Throughput by outcome, replays, write latency, batch sizes and transfers are all on it.
        Assert.Contains("reliablemessaging_operations_total", used);
        Assert.Contains("reliablemessaging_state_write_duration_seconds_bucket", used);
        Assert.Contains("reliablemessaging_commit_batch_size_sum", used);
        Assert.Contains("reliablemessaging_transfers_overdue_current", used);
        Assert.Contains("reliablemessaging_transfers_pending", used);
        Assert.Contains("reliablemessaging_transfers_delivery_duration_seconds_bucket", used);
        Assert.Contains(expressions, expression => expression.Contains("replayed", StringComparison.Ordinal));
        Assert.Contains("reliablemessaging_journal_queued", used);
        Assert.Contains("reliablemessaging_journal_append_failures_total", used);
        // A counter that restarts with its silo and counts a transfer once per activation: only its increase means anything.
        Assert.DoesNotContain(expressions, expression => expression.Contains("sum(reliablemessaging_transfers_overdue_total)", StringComparison.Ordinal));
    }

    [Fact]
    public void Alerts_LoadedByPrometheus_EveryRuleNamedAndOnMetricsTheCodeExports()
    {
        var config = LoadYaml(Mounted(_compose.Prometheus, "/etc/prometheus/prometheus.yml"));
        var ruleFile = Assert.Single(((YamlSequenceNode)config.Children[new YamlScalarNode("rule_files")]).Children.Cast<YamlScalarNode>()).Value!;
        var rules = ((YamlSequenceNode)LoadYaml(Mounted(_compose.Prometheus, ruleFile)).Children[new YamlScalarNode("groups")]).Children.Cast<YamlMappingNode>()
            .SelectMany(group => ((YamlSequenceNode)group.Children[new YamlScalarNode("rules")]).Children.Cast<YamlMappingNode>())
            .ToList();
        var exported = ExportedNames();
        // ASP.NET Core's request duration, which the front end exports (TelemetryTests scrapes it).
        exported.Add(FrontEndRequests);

        var alerts = rules.Select(rule => ComposeFile.Scalar(rule, "alert")).ToList();
        Assert.Equal(["FrontEndServerErrors", "JournalAppendErrors", "JournalAppendsFailing", "JournalBacklog", "StateWritesFailing", "TransferOverdue"], alerts.Order());
        Assert.All(rules, rule =>
        {
            var expression = ComposeFile.Scalar(rule, "expr")!;
            var names = ProjectName().Matches(expression).Select(match => match.Value)
                .Concat(expression.Contains(FrontEndRequests, StringComparison.Ordinal) ? [FrontEndRequests] : [])
                .ToList();
            Assert.NotEmpty(names);
            Assert.All(names, name => Assert.Contains(name, exported));
            Assert.False(string.IsNullOrWhiteSpace(ComposeFile.Scalar(ComposeFile.Map(rule, "annotations"), "summary")), $"{expression} has no summary");
        });
        // Overdue now, not an increase of the once-per-activation counter: a held transfer pages until it is resolved.
        Assert.Contains(rules, rule => ComposeFile.Scalar(rule, "expr") == "sum(reliablemessaging_transfers_overdue_current) > 0");
        // The errors' own alert selects the reason the writer tags them with.
        Assert.Contains(rules, rule => ComposeFile.Scalar(rule, "expr")!.Contains(
            $"reliablemessaging_journal_append_failures_total{{{JournalMetrics.ReasonTag}=\"{JournalMetrics.Error}\"}}", StringComparison.Ordinal));
    }

    // The Prometheus names of the project's instruments, after the exporter's conventions.
    private static HashSet<string> ExportedNames()
    {
        var names = new HashSet<string> { JournalMetrics.QueuedName.Replace('.', '_') };
        foreach (var field in new[] { typeof(AccountMetrics), typeof(JournalMetrics) }.SelectMany(type => type.GetFields(BindingFlags.Public | BindingFlags.Static)))
        {
            if (field.GetValue(null) is not Instrument instrument)
            {
                continue;
            }

            var name = instrument.Name.Replace('.', '_') + instrument.Unit switch
            {
                "s" => "_seconds",
                "By" => "_bytes",
                _ => string.Empty,
            };
            if (instrument.GetType().Name.StartsWith("Counter", StringComparison.Ordinal) || instrument.GetType().Name.StartsWith("ObservableCounter", StringComparison.Ordinal))
            {
                names.Add(name + "_total");
            }
            else if (instrument.GetType().Name.StartsWith("ObservableGauge", StringComparison.Ordinal))
            {
                names.Add(name);
            }
            else
            {
                names.UnionWith([name + "_bucket", name + "_sum", name + "_count"]);
            }
        }

        Assert.True(names.Count >= 10, "no instruments found on AccountMetrics and JournalMetrics");
        return names;
    }

    private static string Mounted(ComposeService service, string target)
    {
        var volume = Assert.Single(service.Volumes, volume => volume.Split(':')[1] == target);
        return Path.Combine(RepositoryPaths.Root, volume.Split(':')[0]);
    }

    private static YamlMappingNode LoadYaml(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private const string FrontEndRequests = "http_server_request_duration_seconds_count";

    [GeneratedRegex(@"reliablemessaging_[a-z_]+")]
    private static partial Regex ProjectName();
}
