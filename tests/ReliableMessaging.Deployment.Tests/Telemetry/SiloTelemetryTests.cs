using System.Diagnostics.Metrics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Silo.Hosting;

namespace ReliableMessaging.Deployment.Tests.Telemetry;

/// <summary>The silo's own Prometheus endpoint: on its port when configured, on loopback only by default.</summary>
public sealed class SiloTelemetryTests
{
    [Fact]
    public async Task PrometheusPortConfigured_ServesTheProjectsMetricsOnLoopbackOnly()
    {
        var port = FreePorts.One();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["Telemetry:PrometheusPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.AddSiloTelemetry();
        using var host = builder.Build();
        await host.StartAsync();
        using var meter = new Meter(TelemetryNames.AccountsMeter);
        meter.CreateCounter<long>("reliablemessaging.test.probe").Add(3);

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var scrape = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));

            Assert.Contains("reliablemessaging_test_probe_total{otel_scope_name=\"ReliableMessaging.Accounts\"} 3", scrape, StringComparison.Ordinal);
            Assert.Contains("service_name=\"reliablemessaging-silo\"", scrape, StringComparison.Ordinal);
            // Not served on the machine's network address (the next test needs one too: no silent pass).
            var external = ExternalAddress();
            Assert.NotNull(external);
            using var socket = new Socket(external.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await Assert.ThrowsAnyAsync<SocketException>(async () => await socket.ConnectAsync(external, port));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task PrometheusHostSetToTheNetworkAddress_AsInDockerCompose_ReachableThere()
    {
        var external = ExternalAddress();
        Assert.NotNull(external);
        var port = FreePorts.One();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["Telemetry:PrometheusPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Configuration["Telemetry:PrometheusHost"] = external.ToString();
        builder.AddSiloTelemetry();
        using var host = builder.Build();
        await host.StartAsync();

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var scrape = await http.GetStringAsync(new Uri($"http://{external}:{port}/metrics"));

            Assert.Contains("service_name=\"reliablemessaging-silo\"", scrape, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task TelemetryDisabled_NoMeterProviderAndNothingListensOnThePrometheusPort()
    {
        var port = FreePorts.One();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["Telemetry:Enabled"] = "false";
        builder.Configuration["Telemetry:PrometheusPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.AddSiloTelemetry();
        using var host = builder.Build();
        await host.StartAsync();

        try
        {
            Assert.Null(host.Services.GetService(typeof(OpenTelemetry.Metrics.MeterProvider)));
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await Assert.ThrowsAnyAsync<SocketException>(async () => await socket.ConnectAsync(IPAddress.Loopback, port));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    // An address of this machine that is not loopback, if it has one.
    private static IPAddress? ExternalAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.OperationalStatus == OperationalStatus.Up)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .FirstOrDefault(address => address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address));
}
