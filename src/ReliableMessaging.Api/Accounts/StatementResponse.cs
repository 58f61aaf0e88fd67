namespace ReliableMessaging.Api.Accounts;

/// <summary>One page of an account's statement.</summary>
/// <param name="AccountId">The account.</param>
/// <param name="Balance">The committed balance when the page was read.</param>
/// <param name="LastSequence">The newest operation's sequence when the page was read.</param>
/// <param name="Items">The operations after the cursor, oldest first.</param>
/// <param name="Next">The next page's address, or null when this page ends the statement.</param>
/// <param name="PrunedRecords">Operations the journal's retention has deleted, so not listed (0 without a retention).</param>
/// <param name="PrunedEffect">Their net effect on the balance: the balance is this plus the effects of every listed succeeded operation.</param>
public sealed record StatementResponse(
    string AccountId, long Balance, long LastSequence, IReadOnlyList<StatementEntryResponse> Items, string? Next, long PrunedRecords, long PrunedEffect);
