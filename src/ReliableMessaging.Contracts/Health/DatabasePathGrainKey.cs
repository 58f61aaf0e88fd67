namespace ReliableMessaging.Contracts.Health;

/// <summary>
/// The key of an <see cref="IDatabasePathGrain"/>: the silo it asks about and a nonce, so that every
/// question gets an activation of its own. A reused key could keep reaching an activation placed on
/// the wrong silo (the caller caches where a grain lives); a fresh one is placed by the hint again.
/// </summary>
public static class DatabasePathGrainKey
{
    public static string Create(SiloAddress silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        return $"{silo.ToParsableString()}/{Guid.NewGuid():N}";
    }

    /// <summary>Whether <paramref name="key"/> asks about <paramref name="silo"/> (its address and generation).</summary>
    public static bool Names(string key, SiloAddress silo)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(silo);
        var separator = key.LastIndexOf('/');
        return separator > 0 && key.AsSpan(0, separator).SequenceEqual(silo.ToParsableString());
    }
}
