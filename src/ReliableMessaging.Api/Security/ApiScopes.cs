namespace ReliableMessaging.Api.Security;

/// <summary>
/// The OAuth scopes the API knows (claim <c>scope</c>, space-separated, or <c>scp</c>). Each
/// endpoint needs exactly one; a token gets only what its holder needs.
/// </summary>
public static class ApiScopes
{
    /// <summary>Read balances, operations, statements and transfer status.</summary>
    public const string AccountsRead = "accounts:read";

    /// <summary>Deposit and withdraw.</summary>
    public const string AccountsWrite = "accounts:write";

    /// <summary>Open accounts.</summary>
    public const string AccountsOpen = "accounts:open";

    /// <summary>Start transfers (from an account the token is granted).</summary>
    public const string TransfersWrite = "transfers:write";

    public static IReadOnlyList<string> All { get; } = [AccountsRead, AccountsWrite, AccountsOpen, TransfersWrite];
}
