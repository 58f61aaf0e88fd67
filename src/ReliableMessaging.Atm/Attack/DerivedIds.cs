using System.Security.Cryptography;
using System.Text;

namespace ReliableMessaging.Atm.Attack;

/// <summary>
/// The IDs an account derives from a transfer's ID for its own records, computed the way anyone can
/// from the published scheme (the README; <c>Uuid7.Derive</c> on the server): the transfer ID's 48-bit
/// timestamp, then the first 80 bits of SHA-256(transfer ID, purpose), stamped as a UUID version 8.
/// The simulator references the HTTP client only, so it carries its own copy; a test checks that it
/// derives what the accounts derive.
/// </summary>
public static class DerivedIds
{
    /// <summary>The records a transfer leaves: its credit at the destination, a refund and its end at the source.</summary>
    public static IReadOnlyList<string> TransferPurposes { get; } = ["transfer-credit", "transfer-refund", "transfer-finished"];

    public static Guid Derive(Guid id, string purpose)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        Span<byte> source = stackalloc byte[16];
        id.TryWriteBytes(source, bigEndian: true, out _);
        var input = new byte[16 + Encoding.UTF8.GetByteCount(purpose)];
        source.CopyTo(input);
        Encoding.UTF8.GetBytes(purpose, input.AsSpan(16));
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);

        Span<byte> derived = stackalloc byte[16];
        source[..6].CopyTo(derived);
        hash[..10].CopyTo(derived[6..]);
        derived[6] = (byte)(0x80 | (derived[6] & 0x0F));
        derived[8] = (byte)(0x80 | (derived[8] & 0x3F));
        return new Guid(derived, bigEndian: true);
    }
}
