namespace ReliableMessaging.Grains.Transfers;

/// <summary>What a transfer ID was first used for: enough to refuse reuse and to find the source.</summary>
[GenerateSerializer, Alias("rm.TransferIndexState")]
public sealed class TransferIndexState
{
    [Id(0)]
    public string Source { get; set; } = string.Empty;

    [Id(1)]
    public string Destination { get; set; } = string.Empty;

    [Id(2)]
    public long Amount { get; set; }
}
