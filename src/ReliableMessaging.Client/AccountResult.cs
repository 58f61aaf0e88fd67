using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Client;

/// <summary>The answer to opening or reading an account.</summary>
/// <param name="Account">The account when the call succeeded.</param>
/// <param name="Created">True when the answer that arrived was 201: this call opened it. After a lost 201, a retry finds it open (200, false).</param>
/// <param name="Error">The typed error (e.g. <see cref="AccountNotFoundError"/>), or the last transient one when unanswered.</param>
/// <param name="Detail">One line for logs.</param>
public sealed record AccountResult(AccountInfo? Account, bool Created, ApiError? Error, string Detail)
{
    public bool Succeeded => Account is not null;
}
