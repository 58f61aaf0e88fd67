namespace ReliableMessaging.Client.Errors;

/// <summary>An RFC 9457 problem answer as the API sent it.</summary>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Code">The stable code after <c>urn:reliable-messaging:problem:</c>, or <c>http-&lt;status&gt;</c> when the body was not one of the API's problems.</param>
/// <param name="Title">The problem's fixed title, when present.</param>
/// <param name="Detail">What went wrong with this request, when present.</param>
/// <param name="Body">The raw response body.</param>
public sealed record ProblemInfo(int Status, string Code, string? Title, string? Detail, string Body)
{
    /// <summary>
    /// How long the service asked to wait before asking again: the answer's <c>Retry-After</c> (the API
    /// sends one with 429, 503, <see cref="TransferNotConfirmedError"/> and
    /// <see cref="TooManyPendingTransfersError"/>), as sent, when it had one; a date already past is zero.
    /// Not capped: the client caps its own waits at <c>MaxRetryAfter</c>, and a caller that waits on it should too.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }
}
