using Orleans.Serialization;
using Orleans.Storage;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Grains.Benchmarks;
using ReliableMessaging.Grains.Transfers;

namespace ReliableMessaging.Silo.Storage;

/// <summary>
/// Grain state in Orleans' own binary format: field IDs and varints keep a full operation window
/// several times smaller than JSON, and <c>[Id]</c>-based version tolerance lets the state evolve.
/// </summary>
public sealed class OrleansBinaryGrainStorageSerializer(Serializer serializer) : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input)
    {
        var bytes = serializer.SerializeToArray(input);
        AccountMetrics.StateWriteSize.Record(bytes.Length, new KeyValuePair<string, object?>(AccountMetrics.StateTag, StateName<T>()));
        return new(bytes);
    }

    // The persistent state's name, as the storage sees it (a bounded set: no per-grain values).
    private static string StateName<T>() =>
        typeof(T) == typeof(AccountState) ? AccountStorage.StateName
        : typeof(T) == typeof(TransferIndexState) ? "transfer"
        : typeof(T) == typeof(PlainAccountState) ? "plain"
        : "other";

    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return serializer.Deserialize<T>(input.ToMemory());
    }
}
