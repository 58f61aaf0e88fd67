namespace ReliableMessaging.Client;

/// <summary>
/// Sees every HTTP attempt the client makes (register any number in the service collection), e.g.
/// to count retries, timeouts and replays. Called inline: keep it cheap and never throw.
/// </summary>
public interface IReliableMessagingObserver
{
    void OnAttempt(AttemptRecord attempt);
}
