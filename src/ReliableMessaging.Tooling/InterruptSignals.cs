using System.Runtime.InteropServices;

namespace ReliableMessaging.Tooling;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM as a cancellation instead of the runtime ending the process at once, so
/// that a tool stops what it started (a run's silos, a scratch PostgreSQL, a fault in progress) first;
/// a second signal ends the process.
/// </summary>
public sealed class InterruptSignals : IDisposable
{
    private readonly CancellationTokenSource _interrupt = new();
    private readonly PosixSignalRegistration _interruptSignal;
    private readonly PosixSignalRegistration _terminateSignal;

    public InterruptSignals()
    {
        _interruptSignal = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        _terminateSignal = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
    }

    /// <summary>Cancelled at the first Ctrl-C or SIGTERM.</summary>
    public CancellationToken Token => _interrupt.Token;

    public bool Raised => _interrupt.IsCancellationRequested;

    public void Dispose()
    {
        _interruptSignal.Dispose();
        _terminateSignal.Dispose();
        _interrupt.Dispose();
    }

    // The first signal asks the tool to stop what it started; a second one, should that hang, ends the
    // process as the runtime would.
    private void Cancel(PosixSignalContext context)
    {
        context.Cancel = !_interrupt.IsCancellationRequested;
        _interrupt.Cancel();
    }
}
