using System.Security.Cryptography;
using System.Text;

namespace ReliableMessaging.Contracts;

/// <summary>
/// The published derivation behind <c>Uuid7.Derive</c>: the source ID's 48-bit timestamp, then
/// the first 80 bits of SHA-256(source ID, purpose), stamped as a UUID version 8. It depends on the BCL
/// only because the ATM simulator compiles this same file (a linked source): the simulator stays an
/// HTTP client without Orleans, and its attacker forges exactly the IDs the accounts derive.
/// </summary>
internal static class DerivedIdScheme
{
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
