using System.Security.Claims;

namespace ReliableMessaging.Api.Security;

/// <summary>
/// What the API reads from a validated token. Claim names are the JWT ones: inbound claim mapping is
/// off, so <c>sub</c> stays <c>sub</c>.
/// </summary>
public static class ApiClaims
{
    public const string Subject = "sub";
    public const string ClientId = "client_id";
    public const string AuthorizedParty = "azp";
    public const string Scope = "scope";

    /// <summary>The array form some providers use instead of <see cref="Scope"/>.</summary>
    public const string ScopeArray = "scp";

    /// <summary>
    /// The accounts the token may read or touch (an array, or one space-separated string);
    /// <see cref="EveryAccount"/> grants them all. A token without it may touch none: a claim mapper
    /// that forgets it must not hand out every account.
    /// </summary>
    public const string Accounts = "rm_accounts";

    /// <summary>The <see cref="Accounts"/> value that grants every account (never an account ID: the format has no '*').</summary>
    public const string EveryAccount = "*";

    /// <summary>Who the caller is: the subject, or the client when a client-credentials token has none.</summary>
    public static string? CallerId(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.FindFirst(Subject)?.Value
            ?? principal.FindFirst(ClientId)?.Value
            ?? principal.FindFirst(AuthorizedParty)?.Value;
    }

    public static bool HasScope(ClaimsPrincipal principal, string scope)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.Claims
            .Where(claim => claim.Type is Scope or ScopeArray)
            .SelectMany(claim => claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Contains(scope, StringComparer.Ordinal);
    }

    /// <summary>The accounts the token is limited to (empty without the claim), or null when it grants <see cref="EveryAccount"/>.</summary>
    public static IReadOnlySet<string>? GrantedAccounts(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var claims = principal.FindAll(Accounts).ToList();

        // Every account only from a value that is exactly "*": an element "acct *" (a mapper copying
        // something a user typed) lists an account and a '*' that is no account ID, never a grant of all.
        if (claims.Any(claim => claim.Value.Trim() == EveryAccount))
        {
            return null;
        }

        return claims
            .SelectMany(claim => claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(account => account != EveryAccount)
            .ToHashSet(StringComparer.Ordinal);
    }

    public static bool MayAccess(ClaimsPrincipal principal, string accountId) =>
        GrantedAccounts(principal) is not { } granted || granted.Contains(accountId);
}
