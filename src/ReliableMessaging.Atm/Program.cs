using ReliableMessaging.Atm.Cli;
using ReliableMessaging.Atm.Simulation;
using ReliableMessaging.Tooling;

// Ctrl-C or SIGTERM stops the run where it is (a fault in progress is not healed) instead of killing the process.
using var interrupt = new InterruptSignals();

try
{
    return await AtmCommandLine.InvokeAsync(args, (options, token) => ChaosRun.RunAsync(options, Console.Out, token), Console.Out, Console.Error, interrupt.Token);
}
catch (OperationCanceledException) when (interrupt.Raised)
{
    Console.Error.WriteLine("Interrupted.");
    return 3;
}
