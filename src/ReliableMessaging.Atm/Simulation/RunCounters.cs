namespace ReliableMessaging.Atm.Simulation;

/// <summary>Thread-safe counters shared by the ATMs, the fault injector and the progress line.</summary>
public sealed class RunCounters
{
    private readonly long[] _values = new long[Enum.GetValues<Counter>().Length];

    public void Increment(Counter counter) => Interlocked.Increment(ref _values[(int)counter]);

    public long this[Counter counter] => Interlocked.Read(ref _values[(int)counter]);
}
