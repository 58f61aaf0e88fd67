namespace ReliableMessaging.Grains.Journal;

/// <summary>The journal could not be reached or did not confirm; nothing about the request is known.</summary>
public sealed class JournalUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);
