namespace ReliableMessaging.Client;

/// <summary>
/// Sees every HTTP attempt the client makes (register any number in the service collection), e.g.
/// to count retries, timeouts and replays. Called inline: keep it cheap and never throw (an exception
/// ends the call as <see cref="ObserverFailedException"/>; a keyed POST's inside
/// <see cref="KeyedRequestFailedException"/>, which carries the request so that it can be sent again
/// under its key). A shared client calls it from all of its concurrent calls at once: it must be thread-safe.
/// </summary>
public interface IReliableMessagingObserver
{
    void OnAttempt(AttemptRecord attempt);
}
