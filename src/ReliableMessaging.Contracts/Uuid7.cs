using System.Buffers.Binary;

namespace ReliableMessaging.Contracts;

/// <summary>
/// UUID version 7 (RFC 9562) helpers. Operation IDs must be UUIDv7 because their embedded
/// millisecond timestamp is what lets an account refuse IDs older than the outcomes it still remembers.
/// </summary>
public static class Uuid7
{
    /// <summary>The last millisecond a <see cref="DateTimeOffset"/> can hold (the end of year 9999).</summary>
    public const long MaxUnixTimeMilliseconds = 253_402_300_799_999;

    /// <summary>
    /// True when <paramref name="id"/> is a UUID version 7 with the RFC 9562 variant, whose time is one a
    /// <see cref="DateTimeOffset"/> can hold: 48 bits of milliseconds reach the year 10889, and an ID past
    /// 9999 would fail every conversion of its time (a 500 after the request had been written down).
    /// </summary>
    public static bool IsValid(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        return (bytes[6] >> 4) == 7 && (bytes[8] & 0xC0) == 0x80 && GetUnixTimeMilliseconds(id) <= MaxUnixTimeMilliseconds;
    }

    /// <summary>
    /// True when <paramref name="id"/> was made by <see cref="Derive"/>: a UUID version 8 (RFC 9562's
    /// custom version) with the RFC 9562 variant. No client can send one as an operation ID, since
    /// those must be version 7, so the accounts' own records (transfer credits, refunds, events) live
    /// in a key space that clients cannot take.
    /// </summary>
    public static bool IsDerived(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        return (bytes[6] >> 4) == 8 && (bytes[8] & 0xC0) == 0x80 && GetUnixTimeMilliseconds(id) <= MaxUnixTimeMilliseconds;
    }

    /// <summary>The Unix time in milliseconds held in the first 48 bits of a UUIDv7 (or of a derived ID).</summary>
    public static long GetUnixTimeMilliseconds(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        return (long)(BinaryPrimitives.ReadUInt64BigEndian(bytes) >> 16);
    }

    /// <summary>The timestamp held in a UUIDv7.</summary>
    public static DateTimeOffset GetTimestamp(Guid id) =>
        DateTimeOffset.FromUnixTimeMilliseconds(GetUnixTimeMilliseconds(id));

    /// <summary>
    /// Orders IDs as RFC 9562 does: by their big-endian bytes, so by timestamp first for UUIDv7.
    /// </summary>
    public static int Compare(Guid left, Guid right)
    {
        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        left.TryWriteBytes(a, bigEndian: true, out _);
        right.TryWriteBytes(b, bigEndian: true, out _);
        return a.SequenceCompareTo(b);
    }

    /// <summary>
    /// An ID derived deterministically from <paramref name="id"/> for one <paramref name="purpose"/>
    /// (e.g. the credit of a transfer). It keeps the original's 48-bit timestamp, so accounts treat its
    /// age exactly like the original's, and every retry derives the same ID. It is a UUID version 8,
    /// never a valid client operation ID (<see cref="IsDerived"/>): a client cannot take it first.
    /// </summary>
    public static Guid Derive(Guid id, string purpose) => DerivedIdScheme.Derive(id, purpose);

    /// <summary>
    /// Parses the canonical text form of a recorded operation's ID: a client's UUIDv7 or an ID an
    /// account derived for its own records (<see cref="IsDerived"/>), as statements list them.
    /// </summary>
    public static bool TryParseRecorded(string? text, out Guid id)
    {
        if (text is { Length: 36 or 32 }
            && Guid.TryParseExact(text, text.Length == 36 ? "D" : "N", out id)
            && (IsValid(id) || IsDerived(id)))
        {
            return true;
        }

        id = Guid.Empty;
        return false;
    }

    /// <summary>
    /// Parses the canonical text form of a UUIDv7 (with or without hyphens, braces not accepted).
    /// </summary>
    public static bool TryParse(string? text, out Guid id)
    {
        if (text is { Length: 36 or 32 }
            && Guid.TryParseExact(text, text.Length == 36 ? "D" : "N", out id)
            && IsValid(id))
        {
            return true;
        }

        id = Guid.Empty;
        return false;
    }
}
