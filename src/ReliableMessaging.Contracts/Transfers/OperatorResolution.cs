using System.Globalization;
using System.Text;
using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Contracts.Transfers;

/// <summary>
/// The attribution an operator's resolution of a held transfer is recorded with (who issued its
/// records, in the account's window, the journal and the grain's statement):
/// <c>operator NAME: REASON</c>, so nobody reading the history takes it for the delivery's own
/// outcome. Account holders see only <see cref="ShownToAccountHolders"/>: the name and the reason
/// (which may cite another customer's records) stay with the operators.
/// </summary>
public static class OperatorResolution
{
    /// <summary>The longest reason kept: a sentence or two naming the records the outcome was established from.</summary>
    public const int MaxReasonLength = 500;

    /// <summary>The longest operator name kept.</summary>
    public const int MaxOperatorLength = 100;

    /// <summary>
    /// False when the operator or the reason is missing, too long, or not plain text (<see cref="Check"/>).
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

    /// <summary>What account holders see as the issuer of an operator's resolution, over HTTP.</summary>
    public const string ShownName = "operator";

    /// <summary>
    /// The issuer as account holders see it: a transfer's end and refund are never a client's
    /// operations (their IDs are derived), so an issuer on them is an operator's attribution, shown as
    /// <see cref="ShownName"/> alone.
    /// </summary>
    public static string? ShownToAccountHolders(OperationKind kind, string? issuedBy) =>
        issuedBy is not null && kind is OperationKind.TransferFinished or OperationKind.TransferRefund ? ShownName : issuedBy;

    /// <summary>Why <paramref name="operatorName"/> and <paramref name="reason"/> cannot be recorded; null when they can.</summary>
    public static string? Check(string? operatorName, string? reason, out string name, out string why)
    {
        name = operatorName?.Trim() ?? string.Empty;
        why = reason?.Trim() ?? string.Empty;
        return name.Length == 0 ? "The resolution does not say who resolved it (the caller's issuer): it is recorded with the resolution."
            : why.Length == 0 ? "Give the reason (what the outcome was established from): it is recorded with the resolution."
            : why.Length > MaxReasonLength ? $"The reason is {why.Length} characters; at most {MaxReasonLength} are recorded."
            : name.Length > MaxOperatorLength ? $"The operator's name is {name.Length} characters; at most {MaxOperatorLength} are recorded."
            : name.Contains(':', StringComparison.Ordinal) ? "The operator's name cannot hold ':' (it would read as the start of the reason)."
            : !IsPlainText(why) || !IsPlainText(name) ? "The reason and the operator's name are one line each of plain text: no control, formatting, private-use or unpaired surrogate characters."
            : null;
    }

    /// <summary>
    /// Text that reads as what it is wherever it is shown: no line breaks or control characters (a
    /// reason could forge the next line of a log or a report), no formatting characters (a right-to-left
    /// override reverses what follows, a zero-width space hides), nothing private-use or malformed.
    /// </summary>
    private static bool IsPlainText(string text)
    {
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return false;
            }

            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.Control:
                case UnicodeCategory.Format:
                case UnicodeCategory.PrivateUse:
                case UnicodeCategory.Surrogate:
                case UnicodeCategory.LineSeparator:
                case UnicodeCategory.ParagraphSeparator:
                case UnicodeCategory.OtherNotAssigned:
                    return false;
            }

            rest = rest[consumed..];
        }

        return true;
    }
}
