namespace ReliableMessaging.Contracts.Transfers;

/// <summary>
/// The attribution an operator's resolution of a held transfer is recorded with (who issued its
/// records, in the account's window, the journal and the statement):
/// <c>operator NAME: REASON</c>, so nobody reading the history takes it for the delivery's own outcome.
/// </summary>
public static class OperatorResolution
{
    /// <summary>The longest reason kept: a sentence or two naming the records the outcome was established from.</summary>
    public const int MaxReasonLength = 500;

    /// <summary>The longest operator name kept.</summary>
    public const int MaxOperatorLength = 100;

    /// <summary>The name recorded when the caller did not say who it is.</summary>
    public const string UnnamedOperator = "(unnamed)";

    /// <summary>
    /// False when the reason is missing, or it or the operator's name is too long or holds control
    /// characters or line separators (a line break would let a reason forge the next line of a log or a report).
    /// </summary>
    public static bool TryAttribute(string? operatorName, string? reason, out string attribution)
    {
        if (Check(operatorName, reason, out var name, out var why) is not null)
        {
            attribution = string.Empty;
            return false;
        }

        attribution = $"operator {name}: {why}";
        return true;
    }

    /// <summary>Why <paramref name="operatorName"/> and <paramref name="reason"/> cannot be recorded; null when they can.</summary>
    public static string? Check(string? operatorName, string? reason, out string name, out string why)
    {
        name = string.IsNullOrWhiteSpace(operatorName) ? UnnamedOperator : operatorName.Trim();
        why = reason?.Trim() ?? string.Empty;
        return why.Length == 0 ? "Give the reason (what the outcome was established from): it is recorded with the resolution."
            : why.Length > MaxReasonLength ? $"The reason is {why.Length} characters; at most {MaxReasonLength} are recorded."
            : name.Length > MaxOperatorLength ? $"The operator's name is {name.Length} characters; at most {MaxOperatorLength} are recorded."
            : HasControlCharacter(why) || HasControlCharacter(name) ? "The reason and the operator's name are one line each, without control characters."
            : null;
    }

    private static bool HasControlCharacter(string text) =>
        text.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029');
}
