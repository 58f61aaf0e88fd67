namespace ReliableMessaging.Api.Problems;

/// <summary>Declares in the OpenAPI document which statuses an endpoint answers with problem details.</summary>
public static class ProblemEndpointExtensions
{
    /// <summary>
    /// What any endpoint of an API group may answer: a malformed request, no or a refused token, a
    /// spent rate limit, an unavailable cluster or storage.
    /// </summary>
    public static RouteGroupBuilder ProducesCommonProblems(this RouteGroupBuilder group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return group
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>The statuses one endpoint answers with problems beyond the common ones.</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder endpoint, params int[] statuses)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(statuses);
        foreach (var status in statuses)
        {
            endpoint.ProducesProblem(status);
        }

        return endpoint;
    }
}
