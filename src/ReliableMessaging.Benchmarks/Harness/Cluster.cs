using System.Globalization;
using System.Security.Cryptography;
using Orleans.Configuration;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Tooling;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>
/// The system under test as users run it: the silo and (optionally) the front end as their own
/// processes from the Release build, and an Orleans client in this process.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    private readonly List<(string Name, BackgroundProcess Process)> _processes = [];
    private IHost? _client;
    private Task? _disposal;
    private readonly Lock _disposeLock = new();

    private Cluster(string serviceId) => ServiceId = serviceId;

    public string ServiceId { get; }

    public IClusterClient Client => _client!.Services.GetRequiredService<IClusterClient>();

    public Uri? FrontEnd { get; private set; }

    /// <summary>A bearer token with every scope for <see cref="FrontEnd"/> (minted by its own token command).</summary>
    public string? ApiToken { get; private set; }

    /// <summary>The silo's process ID, to read its managed heap.</summary>
    public int SiloProcessId => _processes[0].Process.Id;

    /// <summary>Starts the silo (and the front end), and connects a client. Telemetry off (<c>Telemetry:Enabled=false</c> in both) measures what it costs.</summary>
    public static async Task<Cluster> StartAsync(string repositoryRoot, LocalPostgres postgres, int windowSize, bool withFrontEnd, bool telemetry = true)
    {
        var cluster = new Cluster($"bench-{Guid.NewGuid():N}");
        var siloPort = FreePorts.One();
        var gatewayPort = FreePorts.One();
        var common = new Dictionary<string, string>
        {
            [$"ConnectionStrings__{ClusterDatabase.ConnectionStringName}"] = postgres.ConnectionString,
            ["Orleans__ClusterId"] = cluster.ServiceId,
            ["Orleans__ServiceId"] = cluster.ServiceId,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Telemetry__Enabled"] = telemetry ? "true" : "false",
        };
        var silo = new Dictionary<string, string>(common)
        {
            ["Orleans__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Orleans__GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Accounts__OperationWindowSize"] = windowSize.ToString(CultureInfo.InvariantCulture),
        };
        var logs = Path.Combine(Path.GetTempPath(), "rm-bench-logs");
        Directory.CreateDirectory(logs);
        cluster.Start("silo", Built(repositoryRoot, "ReliableMessaging.Silo"), silo, Path.Combine(logs, "silo.log"));

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.UseAdoNetClustering(options =>
            {
                options.Invariant = ClusterDatabase.Invariant;
                options.ConnectionString = postgres.ConnectionString;
            });
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = cluster.ServiceId;
                options.ServiceId = cluster.ServiceId;
            });
            client.UseConnectionRetryFilter(async (_, cancellationToken) =>
            {
                await Task.Delay(500, cancellationToken);
                return true;
            });
        });
        cluster._client = builder.Build();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
        {
            await cluster._client.StartAsync(timeout.Token);
        }

        if (withFrontEnd)
        {
            var port = FreePorts.One();
            var frontEnd = new Dictionary<string, string>(common)
            {
                ["Urls"] = $"http://127.0.0.1:{port}",
                // Tokens are validated on every request as in production; the rate limit runs too
                // but cannot refuse (one caller sends everything here); no audit line per request.
                ["Auth__SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["RateLimit__PermitsPerSecond"] = "100000000",
                ["RateLimit__Burst"] = "100000000",
                ["RateLimit__ReplaysPerSecond"] = "100000000",
                ["RateLimit__ReplayBurst"] = "100000000",
                ["Logging__LogLevel__ReliableMessaging.Api.Audit"] = "Warning",
            };
            var token = await ProcessRunner.RunAsync("dotnet", [Built(repositoryRoot, "ReliableMessaging.Api"), "token", "--expires-in", "1d", "--subject", "benchmark"], frontEnd, Timeout.InfiniteTimeSpan);
            cluster.ApiToken = token.EnsureSucceeded().StandardOutput.Trim();
            cluster.Start("front end", Built(repositoryRoot, "ReliableMessaging.Api"), frontEnd, Path.Combine(logs, "api.log"));
            cluster.FrontEnd = new Uri($"http://127.0.0.1:{port}");
            await WaitReadyAsync(cluster.FrontEnd);
        }

        return cluster;
    }

    // Once, and every caller waits for it to end: an interrupted run stops its clusters while the run's
    // own disposal may come too.
    public ValueTask DisposeAsync()
    {
        lock (_disposeLock)
        {
            return new(_disposal ??= DisposeOnceAsync());
        }
    }

    private async Task DisposeOnceAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync();
            _client.Dispose();
        }

        foreach (var (name, process) in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
            Console.WriteLine($"  stopped {name}");
        }
    }

    /// <summary>A built project run as its own process from its folder, as in production: <c>dotnet app.dll</c>.</summary>
    private void Start(string name, string dll, IReadOnlyDictionary<string, string> environment, string logPath) =>
        _processes.Add((name, BackgroundProcess.Start("dotnet", [dll], environment, Path.GetDirectoryName(dll)!, logPath)));

    private static string Built(string repositoryRoot, string project)
    {
        var dll = Path.Combine(repositoryRoot, "src", project, "bin", "Release", "net10.0", $"{project}.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build first: dotnet build -c Release ({dll} is missing).");
    }

    private static async Task WaitReadyAsync(Uri frontEnd)
    {
        using var http = new HttpClient { BaseAddress = frontEnd };
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException("The front end did not become ready.");
            }

            await Task.Delay(500);
        }
    }
}
