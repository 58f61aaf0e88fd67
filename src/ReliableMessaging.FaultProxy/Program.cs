using ReliableMessaging.FaultProxy;
using ReliableMessaging.Tooling;

// Polls the control file; SIGTERM or SIGINT stops the proxy.
var options = FaultProxyOptions.Parse(args, out var usageError);
if (options is null)
{
    await Console.Error.WriteLineAsync(usageError);
    return 2;
}

using var stop = new InterruptSignals();
await using var proxy = HangingTcpProxy.Start(options.TargetPort, options.ListenPort);
bool? applied = null;
using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
try
{
    do
    {
        bool? asked;
        try
        {
            asked = ProxyControlFile.ReadHung(options.ControlFile);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Being replaced, or briefly unreadable: ask again at the next tick rather than end the path.
            await Console.Error.WriteLineAsync($"{DateTimeOffset.UtcNow:O} control file not read ({exception.Message}); trying again");
            continue;
        }

        if (asked is { } hang && hang != applied)
        {
            if (hang)
            {
                proxy.Hang();
            }
            else
            {
                proxy.Heal();
            }

            applied = hang;
            await WriteStateAsync(hang);
            Console.WriteLine($"{DateTimeOffset.UtcNow:O} {(hang ? "hung (nothing gets through, nothing is closed)" : "forwarding (connections that lived through a hang cut)")}: "
                + $"127.0.0.1:{proxy.Port} -> 127.0.0.1:{options.TargetPort}");
        }
    }
    while (await poll.WaitForNextTickAsync(stop.Token));
}
catch (OperationCanceledException) when (stop.Raised)
{
    Console.WriteLine($"{DateTimeOffset.UtcNow:O} stopped");
}

return 0;

// The mode applies at once; its report is retried until written (cluster.sh waits for it).
async Task WriteStateAsync(bool hung)
{
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            ProxyStateFile.Write(options.StateFile, proxy.Port, hung);
            return;
        }
        catch (Exception exception) when (attempt < 20 && exception is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"{DateTimeOffset.UtcNow:O} state file not written ({exception.Message}); trying again");
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }
}
