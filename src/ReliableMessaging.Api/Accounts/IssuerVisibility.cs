using System.Security.Claims;
using ReliableMessaging.Api.Security;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Api.Accounts;

/// <summary>
/// Who issued a recorded operation, as the caller reading it may see it. A token granted every
/// account (an operator's, a back office's) sees the issuer; a token limited to some accounts sees its
/// own subject, and <see cref="AnotherCaller"/> for anyone else's (another holder of a joint account,
/// a back-office service, an employee: their identities are not the account holder's to read).
/// An operator's resolution is <see cref="OperatorResolution.ShownName"/> for everyone.
/// </summary>
public static class IssuerVisibility
{
    public const string AnotherCaller = "another-caller";

    public static string? ShownTo(ClaimsPrincipal user, OperationKind kind, string? issuedBy)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (issuedBy is null || kind is OperationKind.TransferFinished or OperationKind.TransferRefund)
        {
            return OperatorResolution.ShownToAccountHolders(kind, issuedBy);
        }

        return ApiClaims.GrantedAccounts(user) is null || string.Equals(issuedBy, ApiClaims.CallerId(user), StringComparison.Ordinal)
            ? issuedBy
            : AnotherCaller;
    }
}
