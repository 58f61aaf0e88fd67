using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using ReliableMessaging.Tooling;

namespace ReliableMessaging.Tests.Hosting;

/// <summary>
/// The console logger's queue (2,500 entries) fills in an outage, when every account and request logs
/// at once; by default it then blocks the thread that logs, which in a silo is a scheduler thread: a
/// database blip would stall the silo until membership declares it dead. The shipped settings drop
/// instead (the logger reports how many it dropped).
/// </summary>
public sealed class ConsoleLoggingTests
{
    [Theory]
    [InlineData("silo-config")]
    [InlineData("src/ReliableMessaging.Api")]
    public void ShippedSettings_ConsoleQueueFull_DropsInsteadOfBlockingTheLoggingThread(string folder)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = RepositoryPaths.Combine(folder) });
        using var host = builder.Build();

        var console = host.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;

        Assert.Equal(ConsoleLoggerQueueFullMode.DropWrite, console.QueueFullMode);
    }
}
