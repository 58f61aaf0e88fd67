using System.Reflection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Messaging;
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
