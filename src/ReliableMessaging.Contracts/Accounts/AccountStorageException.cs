namespace ReliableMessaging.Contracts.Accounts;

/// <summary>
/// The account could not persist or load its state, so the operation was NOT acknowledged.
/// Retrying with the same operation ID is always safe: it executes at most once.
/// Thrown instead of the provider's exception because database driver exceptions do not
/// serialize across the silo boundary.
/// </summary>
[GenerateSerializer, Alias("rm.AccountStorageException")]
public sealed class AccountStorageException : Exception
{
    public AccountStorageException()
    {
    }

    public AccountStorageException(string message)
        : base(message)
    {
    }

    public AccountStorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AccountStorageException(string message, bool isConflict)
        : base(message) => IsConflict = isConflict;

    /// <summary>
    /// Finds the storage failure in <paramref name="exception"/> or its inner exceptions: when an
    /// account cannot even be loaded, the runtime wraps it in its own activation error.
    /// </summary>
    public static AccountStorageException? Find(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is AccountStorageException storage)
            {
                return storage;
            }
        }

        return null;
    }

    /// <summary>True when another activation wrote the account first (an ETag conflict).</summary>
    [Id(0)]
    public bool IsConflict { get; init; }
}
