namespace ReliableMessaging.Contracts.Hosting;

/// <summary>The meters and activity sources the silo and the front end export.</summary>
public static class TelemetryNames
{
    /// <summary>The project's own meter (operations, group commit, state writes, transfers).</summary>
    public const string AccountsMeter = "ReliableMessaging.Accounts";

    /// <summary>Orleans' meters (messaging, grains, membership...).</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>Orleans' activity sources for grain calls, with activity propagation on the client and the silos.</summary>
    public static readonly IReadOnlyList<string> OrleansActivitySources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];
}
