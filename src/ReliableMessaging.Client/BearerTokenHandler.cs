using System.Net.Http.Headers;
using Microsoft.Extensions.Options;

namespace ReliableMessaging.Client;

/// <summary>Adds <c>Authorization: Bearer</c> from <see cref="ReliableMessagingClientOptions.AccessTokenProvider"/> to every attempt.</summary>
internal sealed class BearerTokenHandler(IOptions<ReliableMessagingClientOptions> options) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (options.Value.AccessTokenProvider is { } provider && await ProvideAsync(provider, cancellationToken) is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await base.SendAsync(request, cancellationToken);
    }

    // Whatever the provider throws (an identity provider that is down, or its own bug), the attempt is
    // not sent, and the call must end with its key, not lose it with a foreign exception.
    private static async ValueTask<string?> ProvideAsync(Func<CancellationToken, ValueTask<string?>> provider, CancellationToken cancellationToken)
    {
        try
        {
            // Bounded by the attempt's deadline even when the provider ignores the token: a provider that
            // hangs makes the attempt time out, and the caller's cancellation ends the call at once.
            return await provider(cancellationToken).AsTask().WaitAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new AccessTokenUnavailableException(exception);
        }
    }
}
