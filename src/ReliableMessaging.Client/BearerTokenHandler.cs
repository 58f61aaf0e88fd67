using System.Net.Http.Headers;
using Microsoft.Extensions.Options;

namespace ReliableMessaging.Client;

/// <summary>Adds <c>Authorization: Bearer</c> from <see cref="ReliableMessagingClientOptions.AccessTokenProvider"/> to every attempt.</summary>
internal sealed class BearerTokenHandler(IOptions<ReliableMessagingClientOptions> options) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (options.Value.AccessTokenProvider is { } provider && await provider(cancellationToken) is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
