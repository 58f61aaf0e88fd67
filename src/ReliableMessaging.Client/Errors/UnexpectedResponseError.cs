namespace ReliableMessaging.Client.Errors;

/// <summary>
/// An answer that does not fit the request (a success body for another operation, a body that is not
/// the documented JSON): a bug somewhere between here and the account, never retried.
/// </summary>
public sealed record UnexpectedResponseError(ProblemInfo Problem) : ApiError(Problem)
{
    public const string UnexpectedCode = "unexpected-response";

    public static UnexpectedResponseError Create(int status, string body, string detail) =>
        new(new ProblemInfo(status, UnexpectedCode, null, detail, body));

    public override bool IsTransient => false;

    /// <summary>An answer that cannot be read says nothing about what the request did.</summary>
    public override bool IsVerdict => false;
}
