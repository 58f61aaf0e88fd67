using Microsoft.AspNetCore.OutputCaching;

namespace ReliableMessaging.Api.Hosting;

/// <summary>
/// Serves the anonymous OpenAPI document from memory. ASP.NET Core builds it anew (every path, schema
/// and transformer) for each request, so anyone who reaches the port could spend the front end's CPU
/// on it without a token. One copy for every caller: unlike the default policy it neither varies by
/// Host nor skips requests with an Authorization header, either of which would let a caller miss the
/// cache at will (the document names no server, so the Host it was built for does not matter);
/// concurrent misses wait for one build.
/// </summary>
internal sealed class OpenApiDocumentCachePolicy : IOutputCachePolicy
{
    /// <summary>The document changes only with a deployment; rebuilt once a day all the same.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    public ValueTask CacheRequestAsync(OutputCacheContext context, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(context);
        var isGet = HttpMethods.IsGet(context.HttpContext.Request.Method);
        context.EnableOutputCaching = true;
        context.AllowCacheLookup = isGet;
        context.AllowCacheStorage = isGet;
        context.AllowLocking = true;
        context.ResponseExpirationTimeSpan = Lifetime;
        context.CacheVaryByRules.VaryByHost = false;
        return ValueTask.CompletedTask;
    }

    public ValueTask ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellation) => ValueTask.CompletedTask;

    public ValueTask ServeResponseAsync(OutputCacheContext context, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Only the document itself: an error page (a document name that does not exist) is not kept.
        if (context.HttpContext.Response.StatusCode != StatusCodes.Status200OK)
        {
            context.AllowCacheStorage = false;
        }

        return ValueTask.CompletedTask;
    }
}
