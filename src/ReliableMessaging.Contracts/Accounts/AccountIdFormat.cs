namespace ReliableMessaging.Contracts.Accounts;

/// <summary>The account ID format: 1 to 64 characters of <c>[A-Za-z0-9_.-]</c>.</summary>
public static class AccountIdFormat
{
    public const int MaxLength = 64;

    public const string Description = "1 to 64 characters of A-Z, a-z, 0-9, '_', '.' and '-'";

    public static bool IsValid(string? accountId)
    {
        if (string.IsNullOrEmpty(accountId) || accountId.Length > MaxLength)
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
