using ReliableMessaging.Api.Hosting;

namespace ReliableMessaging.Api.Problems;

/// <summary>
/// The last touch on every problem the front end writes, its own and the framework's: no
/// per-request fields, and a stable code for the problems the framework raises itself.
/// </summary>
internal static class ApiProblemDetails
{
    public static void Customize(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var details = context.ProblemDetails;

        // A replayed answer must be byte-identical to the first one: no per-request fields.
        details.Extensions.Remove("traceId");
        if (details.Type is { } type && type.StartsWith(ApiProblem.TypePrefix, StringComparison.Ordinal))
        {
            return;
        }

        // A body that broke its record's validation attributes (the errors stay, by member).
        if (details is HttpValidationProblemDetails validation)
        {
            var problem = RequestBodyProblems.ForInvalidMembers(validation.Errors.Keys);
            details.Type = problem.Type;
            details.Title = problem.Title;
            details.Detail ??= string.Join(" ", validation.Errors.Values.SelectMany(messages => messages));
            return;
        }

        // Problems raised by the framework itself (routing, content negotiation, a body over the limit
        // that the body reader refuses without throwing, an exception) get a stable code too, and that
        // code's own title, as the API's table publishes it (the framework writes its reason phrase).
        var known = details.Status switch
        {
            StatusCodes.Status400BadRequest => ApiProblem.InvalidRequest,
            StatusCodes.Status401Unauthorized => ApiProblem.Unauthorized,
            StatusCodes.Status403Forbidden => ApiProblem.Forbidden,
            StatusCodes.Status413PayloadTooLarge => ApiProblem.RequestTooLarge,
            StatusCodes.Status415UnsupportedMediaType => ApiProblem.UnsupportedMediaType,
            StatusCodes.Status500InternalServerError => ApiProblem.InternalError,
            _ => null,
        };
        details.Type = ApiProblem.TypePrefix + (known?.Code ?? $"http-{details.Status}");
        if (known is not null)
        {
            details.Title = known.Title;
        }

        if (known == ApiProblem.RequestTooLarge)
        {
            details.Detail ??= RequestBinding.TooLargeDetail(RequestBinding.MaxBodyBytes);
        }
    }
}
