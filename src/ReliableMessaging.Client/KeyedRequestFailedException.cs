namespace ReliableMessaging.Client;

/// <summary>
/// A keyed POST (a deposit, a withdrawal or a transfer) failed with an error the client does not
/// expect (an observer or a handler of the application's that threw, a bug) before its outcome was
/// known: an attempt may have run it. <see cref="Exception.InnerException"/> is that error; what this
/// adds is the request, so that the key is never lost: send <see cref="Request"/> again (same key: it
/// runs at most once and answers with its outcome) once the error is fixed, or look <see cref="Key"/>
/// up. Never make a new request for the same intent.
/// </summary>
public sealed class KeyedRequestFailedException : Exception
{
    public KeyedRequestFailedException(object request, Guid key, Exception innerException)
        : base($"The request with key {key} failed before its outcome was known ({innerException?.GetType().Name}: {innerException?.Message}); it may have run. Send the same request again (same key) or look it up.", innerException)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(innerException);
        Request = request;
        Key = key;
    }

    /// <summary>What was sent: an <see cref="OperationRequest"/> or a <see cref="TransferRequest"/>.</summary>
    public object Request { get; }

    /// <summary>Its Idempotency-Key (the operation or transfer ID).</summary>
    public Guid Key { get; }
}
