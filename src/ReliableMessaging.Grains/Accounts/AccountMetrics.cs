using System.Diagnostics.Metrics;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>Metrics an operator alerts on (meter <c>ReliableMessaging.Accounts</c>).</summary>
internal static class AccountMetrics
{
    public const string MeterName = "ReliableMessaging.Accounts";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Transfers whose delivery was stopped because it could no longer be verified.</summary>
    public static readonly Counter<long> StuckTransfers = Meter.CreateCounter<long>("reliablemessaging.transfers.stuck");
}
