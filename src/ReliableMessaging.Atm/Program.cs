using System.Runtime.InteropServices;
using ReliableMessaging.Atm.Cli;
using ReliableMessaging.Atm.Simulation;

AtmOptions options;
try
{
    options = AtmOptions.Parse(args);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine(exception.Message);
    Console.Error.WriteLine(AtmOptions.Usage);
    return 2;
}

if (options.ShowHelp)
{
    Console.WriteLine(AtmOptions.Usage);
    return 0;
}

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
    return await ChaosRun.RunAsync(options, Console.Out, interrupt.Token);
}
catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
{
    Console.Error.WriteLine("Interrupted.");
    return 3;
}
