using System.Diagnostics.Metrics;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>Metrics an operator alerts on (meter <c>ReliableMessaging.Accounts</c>).</summary>
internal static class AccountMetrics
{
    public const string MeterName = "ReliableMessaging.Accounts";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Transfers that stayed pending past <c>Accounts:TransferAlertAge</c> (once per transfer and activation).</summary>
    public static readonly Counter<long> OverdueTransfers = Meter.CreateCounter<long>("reliablemessaging.transfers.overdue");

    /// <summary>Transfers refunded because the destination refused the credit for good.</summary>
    public static readonly Counter<long> RefundedTransfers = Meter.CreateCounter<long>("reliablemessaging.transfers.refunded");
}
