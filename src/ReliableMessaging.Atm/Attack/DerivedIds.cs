using ReliableMessaging.Contracts;

namespace ReliableMessaging.Atm.Attack;

/// <summary>
/// The IDs an account derives from a transfer's ID for its own records, computed the way anyone can
/// from the published scheme (the README). The simulator references the HTTP client only, not Orleans,
/// so it compiles the accounts' own derivation (<c>Contracts/DerivedIdScheme.cs</c>, a linked source)
/// rather than a copy; a test checks that it forges the IDs the accounts record.
/// </summary>
public static class DerivedIds
{
    /// <summary>The records a transfer leaves: its credit at the destination, a refund and its end at the source.</summary>
    public static IReadOnlyList<string> TransferPurposes { get; } = ["transfer-credit", "transfer-refund", "transfer-finished"];

    public static Guid Derive(Guid id, string purpose) => DerivedIdScheme.Derive(id, purpose);
}
