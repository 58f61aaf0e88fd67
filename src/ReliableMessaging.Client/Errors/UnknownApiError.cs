namespace ReliableMessaging.Client.Errors;

/// <summary>A problem code this client does not know (a newer server, a proxy's error page, 401/403): <see cref="ApiError.Code"/> and <see cref="ProblemInfo.Body"/> say what came back.</summary>
public sealed record UnknownApiError(ProblemInfo Problem) : ApiError(Problem)
{
    /// <summary>This client cannot tell what such an answer says about the request.</summary>
    public override bool IsVerdict => false;
}
