namespace ReliableMessaging.Client;

/// <summary>
/// <see cref="ReliableMessagingClientOptions.AccessTokenProvider"/> failed: the attempt was not sent. The
/// call ends without an answer (keeping its key: an earlier attempt may have run) instead of letting the
/// provider's exception carry the key away.
/// </summary>
internal sealed class AccessTokenUnavailableException(Exception inner)
    : Exception("the access token provider failed: " + inner.Message, inner);
