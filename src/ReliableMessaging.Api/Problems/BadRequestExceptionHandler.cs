using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using ReliableMessaging.Api.Hosting;

namespace ReliableMessaging.Api.Problems;

/// <summary>
/// Answers the request-binding failures the framework throws (<see cref="RouteHandlerOptions.ThrowOnBadRequest"/>
/// is on) with the API's stable problem codes: a body too large (413), not JSON (415), not one
/// JSON object of the operation's shape (400 <c>invalid-request</c>, or <c>invalid-amount</c> when
/// the amount is at fault), or a route, query or header value that does not bind. Only
/// <see cref="BadHttpRequestException"/> is handled: any other exception is a bug, left to the
/// default handler (500 <c>internal-error</c>, logged), never turned into a retryable answer.
/// </summary>
internal sealed partial class BadRequestExceptionHandler(ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var problem = ProblemFor(badRequest, httpContext.Request);
        LogRefused(logger, httpContext.Request.Method, httpContext.Request.Path, badRequest.StatusCode, badRequest.Message);
        await problem.ExecuteAsync(httpContext);
        return true;
    }

    private static ProblemHttpResult ProblemFor(BadHttpRequestException exception, HttpRequest request) => exception.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => ApiProblem.RequestTooLarge.ToResult(RequestBinding.TooLargeDetail(RequestBinding.MaxBodyBytes)),
        StatusCodes.Status415UnsupportedMediaType => ApiProblem.UnsupportedMediaType.ToResult(request.ContentType is { Length: > 0 } contentType
            ? $"Content-Type '{contentType}' is not application/json."
            : "The request has no Content-Type: send the body as application/json."),
        StatusCodes.Status400BadRequest when exception.InnerException is JsonException json => RequestBodyProblems.ForJson(json),
        // A POST without a body: announced as empty, or sent without a length or chunking (so it has none).
        StatusCodes.Status400BadRequest when request.ContentLength == 0
            || (HttpMethods.IsPost(request.Method) && request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false }) => ApiProblem.InvalidRequest.ToResult(
            "The request has no body: send one JSON object of this operation's shape (see /openapi/v1.json)."),

        // The framework's own words name C# types and parameters ("Implicit body inferred ...", "Failed to
        // bind parameter ..."): a caller gets the API's (the log keeps the framework's, at Debug).
        StatusCodes.Status400BadRequest => ApiProblem.InvalidRequest.ToResult(
            "The request could not be read: the body must be one JSON object of this operation's shape (not null), and each route, query and header value must have its documented form (see /openapi/v1.json)."),

        // Other refusals of the server (a request timeout, headers too large): their own status, with
        // the code the problem-details customization gives that status.
        var status => TypedResults.Problem(detail: exception.Message, statusCode: status),
    };

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Refused {Method} {Path} while binding it ({Status}): {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, PathString path, int status, string reason);
}
