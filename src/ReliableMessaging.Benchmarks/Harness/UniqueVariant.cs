namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>
/// Something measured beside the unique scenario in each of its rounds (the peer grain, the same
/// system with telemetry off, ...), so the unique scenario can be compared with it side by side.
/// </summary>
/// <param name="Key">Short name, for progress lines and notes.</param>
/// <param name="Scenario">Its own row in the report.</param>
/// <param name="ComparedAs">How the unique row names it among its comparisons.</param>
/// <param name="Operation">One operation (worker, sequence), as <see cref="LoadRunner"/> calls it.</param>
public sealed record UniqueVariant(string Key, string Scenario, string ComparedAs, Func<int, long, Task> Operation);
