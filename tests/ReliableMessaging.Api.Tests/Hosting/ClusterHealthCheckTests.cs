using System.Reflection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Messaging;
using Orleans.Serialization;
using ReliableMessaging.Api.Hosting;

namespace ReliableMessaging.Api.Tests.Hosting;

/// <summary>
/// Readiness when the cluster does not answer at all (the management call hangs, as on a silo paused
/// with SIGSTOP): Degraded only while another silo is listed that may still serve.
/// </summary>
public sealed class ClusterHealthCheckTests
{
    [Theory]
    [InlineData(1, HealthStatus.Unhealthy)]
    [InlineData(0, HealthStatus.Unhealthy)]
    [InlineData(3, HealthStatus.Degraded)]
    public async Task ManagementCallHangs_ReadyOnlyWhileAnotherSiloIsListed(int listedSilos, HealthStatus expected)
    {
        var check = new ClusterHealthCheck(HangingCluster.Create(), new ListedGateways(listedSilos), TimeProvider.System);

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(expected, result.Status);
    }

    [Fact]
    public async Task ManagementCallHangsPastTheGrace_UnhealthyThoughSilosAreListed()
    {
        // Several silos listed, none answering this front end for longer than a paused silo takes to be
        // declared dead (all stalled, or this front end cut off from them): "ready" would keep a load
        // balancer sending it requests that all get 503.
        var time = new ManualTime();
        var check = new ClusterHealthCheck(HangingCluster.Create(), new ListedGateways(3), time);

        var first = await check.CheckHealthAsync(new HealthCheckContext());
        time.Advance(ClusterHealthCheck.UnansweredGrace);
        var later = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal((HealthStatus.Degraded, HealthStatus.Unhealthy), (first.Status, later.Status));
    }

    [Fact]
    public async Task OneGatewayHangsForLong_AnotherAnswers_StaysDegradedNeverUnhealthy()
    {
        // The management grain of key 0 goes through the stalled silo's gateway, the others through the
        // rest: one stalled silo must never take every front end out of a load balancer.
        var time = new ManualTime();
        var check = new ClusterHealthCheck(PartlyHangingCluster.Create(), new ListedGateways(3), time);

        var first = await check.CheckHealthAsync(new HealthCheckContext());
        time.Advance(ClusterHealthCheck.UnansweredGrace * 3);
        var later = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal((HealthStatus.Degraded, HealthStatus.Degraded), (first.Status, later.Status));
    }

    [Theory]
    [InlineData(nameof(SiloUnavailableException))]
    // Npgsql's exception from the silo's membership read has no codec outside the silo: what arrives is a serializer's.
    [InlineData(nameof(CodecNotFoundException))]
    public async Task OneGatewaysCallFailsFast_AnotherAnswers_StaysDegradedNeverUnhealthy(string failure)
    {
        // A silo whose own way to the database fails fast (refused, reset) answers the membership read
        // with an error, not a hang: that must not take every front end routed through it out of a load
        // balancer while the other silos serve (it was Unhealthy at once, without trying another gateway).
        var time = new ManualTime();
        FailingGrain.Failure = failure;
        var check = new ClusterHealthCheck(PartlyFailingCluster.Create(), new ListedGateways(3), time);

        var first = await check.CheckHealthAsync(new HealthCheckContext());
        time.Advance(ClusterHealthCheck.UnansweredGrace * 3);
        var later = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal((HealthStatus.Degraded, HealthStatus.Degraded), (first.Status, later.Status));
        Assert.Contains($"failed ({failure})", first.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbesWithinASecond_ShareOneLookAtTheCluster_ALaterOneLooksAgain()
    {
        // The probe is anonymous: a flood of it must not become a flood of membership reads and silo calls.
        var time = new ManualTime();
        var cluster = CountingCluster.Create(out var calls);
        var check = new ClusterHealthCheck(cluster, new ListedGateways(1), time);

        var first = await check.CheckHealthAsync(new HealthCheckContext());
        var second = await check.CheckHealthAsync(new HealthCheckContext());
        time.Advance(ClusterHealthCheck.SharedFor);
        var later = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal((HealthStatus.Unhealthy, HealthStatus.Unhealthy, HealthStatus.Unhealthy), (first.Status, second.Status, later.Status));
        Assert.Equal(2, calls.Count);
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override DateTimeOffset GetUtcNow() => _now;

        public override long GetTimestamp() => _now.UtcTicks;

        public void Advance(TimeSpan by) => _now += by;
    }

    /// <summary>A cluster whose management grain lists no active silo, counting the look-ups.</summary>
    public class CountingCluster : DispatchProxy
    {
        private List<int> _calls = [];

        public static IClusterClient Create(out List<int> calls)
        {
            var proxy = Create<IClusterClient, CountingCluster>();
            calls = ((CountingCluster)(object)proxy)._calls;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name == nameof(IClusterClient.GetGrain) && targetMethod.ReturnType == typeof(IManagementGrain))
            {
                var grain = Create<IManagementGrain, EmptyClusterGrain>();
                ((EmptyClusterGrain)(object)grain).Calls = _calls;
                return grain;
            }

            throw new NotSupportedException(targetMethod?.Name);
        }
    }

    public class EmptyClusterGrain : DispatchProxy
    {
        public List<int> Calls { get; set; } = [];

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != nameof(IManagementGrain.GetDetailedHosts))
            {
                throw new NotSupportedException(targetMethod?.Name);
            }

            lock (Calls)
            {
                Calls.Add(1);
            }

            return Task.FromResult(Array.Empty<MembershipEntry>());
        }
    }

    private sealed class ListedGateways(int count) : IGatewayListProvider
    {
        public TimeSpan MaxStaleness => TimeSpan.FromMinutes(1);

        public bool IsUpdatable => true;

        public Task InitializeGatewayListProvider() => Task.CompletedTask;

        public Task<IList<Uri>> GetGateways() =>
            Task.FromResult<IList<Uri>>(Enumerable.Range(0, count).Select(i => new Uri($"gwy.tcp://127.0.0.1:{30000 + i}/0")).ToList());
    }

    /// <summary>A cluster client whose every grain call never answers (a gateway that stopped answering).</summary>
    public class HangingCluster : DispatchProxy
    {
        public static IClusterClient Create() => Create<IClusterClient, HangingCluster>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == nameof(IClusterClient.GetGrain) && targetMethod.ReturnType == typeof(IManagementGrain)
                ? Create<IManagementGrain, HangingGrain>()
                : throw new NotSupportedException(targetMethod?.Name);
    }

    /// <summary>A cluster client whose management grain of key 0 never answers and the others do (one gateway stalled).</summary>
    public class PartlyHangingCluster : DispatchProxy
    {
        public static IClusterClient Create() => Create<IClusterClient, PartlyHangingCluster>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == nameof(IClusterClient.GetGrain) && targetMethod.ReturnType == typeof(IManagementGrain)
                ? args?[0] is 0L ? Create<IManagementGrain, HangingGrain>() : Create<IManagementGrain, AnsweringGrain>()
                : throw new NotSupportedException(targetMethod?.Name);
    }

    /// <summary>A cluster client whose management grain of key 0 fails at once and the others answer.</summary>
    public class PartlyFailingCluster : DispatchProxy
    {
        public static IClusterClient Create() => Create<IClusterClient, PartlyFailingCluster>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == nameof(IClusterClient.GetGrain) && targetMethod.ReturnType == typeof(IManagementGrain)
                ? args?[0] is 0L ? Create<IManagementGrain, FailingGrain>() : Create<IManagementGrain, AnsweringGrain>()
                : throw new NotSupportedException(targetMethod?.Name);
    }

    public class FailingGrain : DispatchProxy
    {
        /// <summary>The exception the membership read fails with (tests of one class run one at a time).</summary>
        public static string Failure { get; set; } = nameof(SiloUnavailableException);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == nameof(IManagementGrain.GetDetailedHosts)
                ? Task.FromException<MembershipEntry[]>(Failure == nameof(CodecNotFoundException)
                    ? new CodecNotFoundException("Could not find a codec for type Npgsql.NpgsqlException.")
                    : new SiloUnavailableException("The membership table could not be read."))
                : throw new NotSupportedException(targetMethod?.Name);
    }

    public class AnsweringGrain : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == nameof(IManagementGrain.GetHosts)
                ? Task.FromResult(new Dictionary<SiloAddress, SiloStatus>())
                : throw new NotSupportedException(targetMethod?.Name);
    }

    public class HangingGrain : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            var resultType = targetMethod.ReturnType.GetGenericArguments().Single();
            var never = Activator.CreateInstance(typeof(TaskCompletionSource<>).MakeGenericType(resultType))!;
            return never.GetType().GetProperty(nameof(TaskCompletionSource<int>.Task))!.GetValue(never);
        }
    }
}
