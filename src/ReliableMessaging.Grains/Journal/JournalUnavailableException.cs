namespace ReliableMessaging.Grains.Journal;

/// <summary>The journal could not be reached, did not confirm, or refused the records; nothing about the request is known.</summary>
public sealed class JournalUnavailableException(string message, Exception? innerException = null, bool isRefusal = false) : Exception(message, innerException)
{
    /// <summary>
    /// The database refused the records themselves (a constraint, a value it cannot store): the account's
    /// records wait in its window like in an outage, but retrying fails the same way until an operator looks.
    /// </summary>
    public bool IsRefusal { get; } = isRefusal;
}
