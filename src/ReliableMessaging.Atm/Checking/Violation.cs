namespace ReliableMessaging.Atm.Checking;

/// <summary>One broken promise found by the checker.</summary>
/// <param name="Kind">A short stable name, e.g. <c>acknowledged-operation-lost</c>.</param>
/// <param name="AccountId">The account concerned, if any.</param>
/// <param name="OperationId">The operation concerned, if any.</param>
/// <param name="Detail">What was expected and what was found.</param>
public sealed record Violation(string Kind, string? AccountId, Guid? OperationId, string Detail)
{
    public override string ToString() =>
        $"{Kind}: account {AccountId ?? "-"}, operation {OperationId?.ToString() ?? "-"}: {Detail}";
}
