namespace ReliableMessaging.Client;

/// <summary>
/// The caller cancelled a keyed POST (a deposit, a withdrawal or a transfer) before its outcome was
/// known: an attempt may have run it. It is still an <see cref="OperationCanceledException"/>; what it
/// adds is the request, so nothing is lost: send <see cref="Request"/> again (same key: it runs at most
/// once and answers with its outcome), or look <see cref="Key"/> up later. Never make a new request for
/// the same intent.
/// </summary>
public sealed class OutcomeUnknownException : OperationCanceledException
{
    public OutcomeUnknownException(object request, Guid key, Exception innerException, CancellationToken cancellationToken)
        : base($"Cancelled before the outcome of {key} was known: it may have run. Send the same request again (same key) or look it up.", innerException, cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Request = request;
        Key = key;
    }

    /// <summary>What was sent: an <see cref="OperationRequest"/> or a <see cref="TransferRequest"/>.</summary>
    public object Request { get; }

    /// <summary>Its Idempotency-Key (the operation or transfer ID).</summary>
    public Guid Key { get; }
}
