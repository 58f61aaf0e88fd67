namespace ReliableMessaging.Audit;

/// <summary>An account whose balance and journal disagree.</summary>
/// <param name="AccountId">The account.</param>
/// <param name="Balance">The account's committed balance.</param>
/// <param name="LastSequence">The account's newest record.</param>
/// <param name="JournalSum">The sum of the journal's balance effects through <paramref name="LastSequence"/>.</param>
/// <param name="JournalRows">How many journal rows there are through <paramref name="LastSequence"/> (must equal it: no gaps).</param>
/// <param name="Reason">What is wrong, in words.</param>
public sealed record AuditDifference(string AccountId, long Balance, long LastSequence, long JournalSum, long JournalRows, string Reason);
