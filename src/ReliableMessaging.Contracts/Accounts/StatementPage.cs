namespace ReliableMessaging.Contracts.Accounts;

/// <summary>One page of an account's statement: the committed operations after a cursor, in order.</summary>
/// <param name="Status">Whether the account exists.</param>
/// <param name="Entries">At most the requested number of entries, by ascending sequence.</param>
/// <param name="NextAfter">The cursor of the next page (the last entry's sequence), or null when this page ends the statement.</param>
/// <param name="Balance">The committed balance when the page was read.</param>
/// <param name="LastSequence">The sequence of the newest committed operation when the page was read.</param>
/// <param name="PrunedRecords">Records the journal's retention has deleted (not listed): 0 unless a retention is set.</param>
/// <param name="PrunedEffect">Their net effect on the balance: the balance is this plus the listed entries' effects.</param>
[GenerateSerializer, Immutable, Alias("rm.StatementPage")]
public sealed record StatementPage(
    [property: Id(0)] AccountStatus Status,
    [property: Id(1)] IReadOnlyList<StatementEntry> Entries,
    [property: Id(2)] long? NextAfter,
    [property: Id(3)] long Balance,
    [property: Id(4)] long LastSequence,
    [property: Id(5)] long PrunedRecords = 0,
    [property: Id(6)] long PrunedEffect = 0);
