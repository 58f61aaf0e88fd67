using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Client;

/// <summary>
/// The final outcome of a keyed POST (a deposit, a withdrawal or a transfer) after the client's
/// retries: what every such outcome says, whatever the request.
/// </summary>
/// <typeparam name="TRequest">What was sent.</typeparam>
public abstract record KeyedOutcome<TRequest>
    where TRequest : class
{
    /// <summary>How it ended.</summary>
    public required OutcomeKind Kind { get; init; }

    /// <summary>What was sent (its key included, for a resend).</summary>
    public required TRequest Request { get; init; }

    /// <summary>The answer came from the record of an earlier execution (<c>Idempotent-Replayed</c>, or resolved by a lookup).</summary>
    public bool IsReplay { get; init; }

    /// <summary>The POST got no answer; the outcome comes from a lookup of the recorded one.</summary>
    public bool ResolvedByLookup { get; init; }

    /// <summary>HTTP attempts of the POST.</summary>
    public int Attempts { get; init; }

    /// <summary>The final HTTP status (0 when unanswered).</summary>
    public int StatusCode { get; init; }

    /// <summary>The final response body, byte for byte what a replay repeats.</summary>
    public string Body { get; init; } = string.Empty;

    /// <summary>The typed error of a rejection, an insufficient-funds answer, or the last transient error of an unanswered one.</summary>
    public ApiError? Error { get; init; }

    /// <summary>One line for logs.</summary>
    public string Detail { get; init; } = string.Empty;

    /// <summary>The server recorded an outcome and answered it (applied, or refused for funds): either is replayed on every resend.</summary>
    public bool IsAcknowledged => Kind is OutcomeKind.Succeeded or OutcomeKind.InsufficientFunds;
}
