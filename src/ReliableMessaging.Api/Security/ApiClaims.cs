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

    /// <summary>Optional: the only accounts the token may read or touch (an array, or one space-separated string).</summary>
    public const string Accounts = "rm_accounts";

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

    /// <summary>The accounts the token is limited to, or null when it names none (every account).</summary>
    public static IReadOnlySet<string>? GrantedAccounts(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var claims = principal.FindAll(Accounts).ToList();
        return claims.Count == 0
            ? null
            : claims.SelectMany(claim => claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);
    }

    public static bool MayAccess(ClaimsPrincipal principal, string accountId) =>
        GrantedAccounts(principal) is not { } granted || granted.Contains(accountId);
}
