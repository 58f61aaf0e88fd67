using System.Runtime.InteropServices;
using ReliableMessaging.Atm.Cli;
using ReliableMessaging.Atm.Simulation;

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Ctrl-C stops the run where it is (a fault in progress is not healed) instead of killing the process.
    e.Cancel = true;
    interrupt.Cancel();
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    interrupt.Cancel();
});

try
{
    return await AtmCommandLine.InvokeAsync(args, (options, token) => ChaosRun.RunAsync(options, Console.Out, token), Console.Out, Console.Error, interrupt.Token);
}
catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
{
    Console.Error.WriteLine("Interrupted.");
    return 3;
}
