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

    /// <summary>
    /// When a start was last sent to the source (Unix ms), at most one response timeout before any
    /// start sent since; 0 in records written before it was kept.
    /// </summary>
    [Id(3)]
    public long LastStartUnixMs { get; set; }

    /// <summary>
    /// When the source last fenced its "unknown" for this transfer (Unix ms; 0: never). A fence after
    /// the last start holds for every start sent so far, so it is done once per start, however often
    /// the transfer is looked up.
    /// </summary>
    [Id(4)]
    public long FencedUnixMs { get; set; }

    /// <summary>True when no fence covers the last start yet.</summary>
    public bool NeedsFence => FencedUnixMs <= LastStartUnixMs;

    /// <summary>
    /// True while a start sent to the source may still arrive and commit its debit. A start already
    /// running at the source is waited for by the source's look-up; one still in transit (from an
    /// activation of the transfer grain that died) is dropped by Orleans once older than the
    /// response timeout. Starts are at most one response timeout younger than <see cref="LastStartUnixMs"/>.
    /// <see cref="LastStartUnixMs"/> is the clock of the silo that sent the start, and <paramref name="now"/>
    /// may be another silo's: silo clocks may differ by up to <paramref name="clockSkew"/>, which a silo
    /// whose clock is ahead would otherwise take for elapsed time (and answer "not accepted" for a start
    /// still in transit), as would one behind that skipped refreshing the time on a repeated start.
    /// </summary>
    public bool MayStillCommit(DateTimeOffset now, TimeSpan responseTimeout, TimeSpan clockSkew) =>
        LastStartUnixMs > 0
        && now.ToUnixTimeMilliseconds() - LastStartUnixMs <= (2 * (long)responseTimeout.TotalMilliseconds) + (long)clockSkew.TotalMilliseconds;
}
