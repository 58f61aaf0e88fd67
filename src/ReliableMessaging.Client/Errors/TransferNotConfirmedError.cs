namespace ReliableMessaging.Client.Errors;

/// <summary>
/// 409 <c>transfer-not-confirmed</c>: the transfer ID was received, but its debit is not confirmed
/// yet (it may still commit). Never a "no": ask again after Retry-After, or repeat the POST with the same key.
/// </summary>
public sealed record TransferNotConfirmedError(ProblemInfo Problem) : ApiError(Problem)
{
    public override bool IsTransient => true;

    /// <summary>Never a "no": the transfer may still be accepted.</summary>
    public override bool IsVerdict => false;
}
