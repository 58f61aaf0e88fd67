namespace ReliableMessaging.Silo.Journal;

/// <summary>The Orleans ServiceId the journal's rows are keyed by, like grain state rows.</summary>
public sealed record JournalServiceId(string Value);
