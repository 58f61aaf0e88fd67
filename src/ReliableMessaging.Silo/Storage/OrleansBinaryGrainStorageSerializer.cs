using Orleans.Serialization;
using Orleans.Storage;
using ReliableMessaging.Grains.Accounts;

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
        AccountMetrics.StateWriteSize.Record(bytes.Length);
        return new(bytes);
    }

    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return serializer.Deserialize<T>(input.ToMemory());
    }
}
