namespace ReliableMessaging.Contracts.Accounts;

/// <summary>
/// The account ID format: 1 to 64 characters of <c>[A-Za-z0-9_.-]</c>, other than <c>.</c> and
/// <c>..</c>: URLs drop those path segments (<c>/accounts/../operations</c> is <c>/operations</c>),
/// so such an account could be credited by a transfer but never reached over HTTP.
/// </summary>
public static class AccountIdFormat
{
    public const int MaxLength = 64;

    public const string Description = "1 to 64 characters of A-Z, a-z, 0-9, '_', '.' and '-', other than '.' and '..'";

    public static bool IsValid(string? accountId)
    {
        if (string.IsNullOrEmpty(accountId) || accountId.Length > MaxLength || accountId is "." or "..")
        {
            return false;
        }

        foreach (var c in accountId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
