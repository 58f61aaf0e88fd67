namespace ReliableMessaging.Grains.Accounts;

/// <summary>What the rules say about an operation before executing it.</summary>
public enum AdmissionVerdict
{
    /// <summary>Answered without executing: a replay of its record, or a refusal.</summary>
    Answered,

    /// <summary>Never executed and admissible: execute it.</summary>
    Execute,

    /// <summary>Its record may be in the journal only: look it up there, then decide again.</summary>
    LookUpJournal,
}
