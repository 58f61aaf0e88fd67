namespace ReliableMessaging.Client;

/// <summary>
/// An <see cref="IReliableMessagingObserver"/> threw (<see cref="Exception.InnerException"/>). The call
/// ends with it, whatever the attempt's result was; a deposit, withdrawal or transfer ends with
/// <see cref="KeyedRequestFailedException"/> around it, which carries the request. Wrapped so that an
/// observer's exception is never taken for the attempt's own (a connection failure or a timeout, which
/// the client would retry).
/// </summary>
public sealed class ObserverFailedException : Exception
{
    public ObserverFailedException(IReliableMessagingObserver observer, Exception innerException)
        : base($"The observer {observer?.GetType().Name} threw: {innerException?.Message}", innerException)
    {
        ArgumentNullException.ThrowIfNull(observer);
        ArgumentNullException.ThrowIfNull(innerException);
    }
}
