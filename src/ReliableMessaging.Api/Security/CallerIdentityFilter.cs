using ReliableMessaging.Contracts.Hosting;
namespace ReliableMessaging.Api.Security;

/// <summary>
/// Hands the caller's identity (token <c>sub</c>, or the client ID) to the grains through Orleans'
/// <see cref="RequestContext"/> under <see cref="IssuedByKey"/>, so the account records who issued an
/// operation, and logs state-changing requests with it (category <c>ReliableMessaging.Api.Audit</c>).
/// </summary>
internal sealed partial class CallerIdentityFilter(ILoggerFactory loggers) : IEndpointFilter
{
    /// <summary>The RequestContext key the grains read.</summary>
    public const string IssuedByKey = RequestContextKeys.IssuedBy;

    private readonly ILogger _audit = loggers.CreateLogger("ReliableMessaging.Api.Audit");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var caller = ApiClaims.CallerId(http.User);
        if (caller is not null)
        {
            // RequestContext is async-local: set here, it flows into the grain calls the handler makes.
            RequestContext.Set(IssuedByKey, caller);
        }

        if (!HttpMethods.IsGet(http.Request.Method))
        {
            LogRequest(_audit, caller ?? "(none)", http.Request.Method, http.Request.Path);
        }

        return await next(context);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{Caller} {Method} {Path}")]
    private static partial void LogRequest(ILogger logger, string caller, string method, PathString path);
}
