namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>Reachable silo heap per account: open (with its opening deposit), and with a full operation window.</summary>
public sealed record AccountMemory(int WindowSize, long OpenBytes, long FullBytes);
