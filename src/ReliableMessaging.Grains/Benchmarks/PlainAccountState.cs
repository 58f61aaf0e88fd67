namespace ReliableMessaging.Grains.Benchmarks;

/// <summary>The peer's whole state: a balance.</summary>
[GenerateSerializer, Alias("rm.PlainAccountState")]
public sealed class PlainAccountState
{
    [Id(0)]
    public long Balance { get; set; }
}
