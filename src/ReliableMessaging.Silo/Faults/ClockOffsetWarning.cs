using Microsoft.Extensions.Options;

namespace ReliableMessaging.Silo.Faults;

/// <summary>Says loudly at start-up that this silo runs on a shifted clock (<see cref="FaultOptions.ClockOffset"/>).</summary>
internal sealed partial class ClockOffsetWarning(IOptions<FaultOptions> options, TimeProvider time, ILogger<ClockOffsetWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.ClockOffset is { } offset && offset != TimeSpan.Zero)
        {
            ClockShifted(logger, offset, time.GetUtcNow());
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 3020, Level = LogLevel.Warning,
        Message = "Faults:ClockOffset is {Offset}: this silo's clock is shifted on purpose (a test and chaos setting, never for a deployment); its now is {Now:O}")]
    private static partial void ClockShifted(ILogger logger, TimeSpan offset, DateTimeOffset now);
}
