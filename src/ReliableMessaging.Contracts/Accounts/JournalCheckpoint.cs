namespace ReliableMessaging.Contracts.Accounts;

/// <summary>
/// An account whose committed records are all in the journal: what the audit compares the journal
/// with. <paramref name="Balance"/> must equal the sum of the journal's rows through
/// <paramref name="LastSequence"/>, and those rows must be 1 to <paramref name="LastSequence"/> without gaps.
/// </summary>
[GenerateSerializer, Immutable, Alias("rm.JournalCheckpoint")]
public sealed record JournalCheckpoint(
    [property: Id(0)] AccountStatus Status,
    [property: Id(1)] long Balance,
    [property: Id(2)] long LastSequence);
