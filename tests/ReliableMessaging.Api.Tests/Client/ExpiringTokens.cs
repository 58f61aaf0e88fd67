using ReliableMessaging.Testing;

namespace ReliableMessaging.Api.Tests.Client;

/// <summary>
/// An access-token provider handing out valid tokens, except one chosen in advance that the front end
/// refuses (as a token that expired between two attempts), or one the provider fails to get (its
/// identity provider down).
/// </summary>
public sealed class ExpiringTokens
{
    private int _issued;
    private int _refused = -1;
    private int _refusedCount;
    private int _failed = -1;

    /// <summary>For <c>ReliableMessagingClientOptions.AccessTokenProvider</c>.</summary>
    public ValueTask<string?> NextAsync(CancellationToken cancellationToken)
    {
        var nth = Interlocked.Increment(ref _issued);
        return nth == Volatile.Read(ref _failed)
            ? throw new InvalidOperationException("the identity provider is unreachable")
            : ValueTask.FromResult<string?>(nth >= Volatile.Read(ref _refused) && nth < Volatile.Read(ref _refused) + Volatile.Read(ref _refusedCount)
                ? "expired.token.value"
                : FrontEndFactory.FullAccessToken);
    }

    /// <summary>
    /// The <paramref name="nth"/> token from now (1: the next one) is refused, and the <paramref name="count"/> - 1
    /// after it (2: the client's one fresh token after a 401 is refused too).
    /// </summary>
    public void Refuse(int nth, int count = 1)
    {
        Volatile.Write(ref _refusedCount, count);
        Volatile.Write(ref _refused, Volatile.Read(ref _issued) + nth);
    }

    /// <summary>Asking for the <paramref name="nth"/> token from now (1: the next one) throws.</summary>
    public void Fail(int nth) => Volatile.Write(ref _failed, Volatile.Read(ref _issued) + nth);
}
