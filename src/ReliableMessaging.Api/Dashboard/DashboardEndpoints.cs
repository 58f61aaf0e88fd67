using Microsoft.Extensions.Options;
using Orleans.Dashboard;

namespace ReliableMessaging.Api.Dashboard;

/// <summary>Mounts the Orleans Dashboard under /dashboard, behind Basic authentication.</summary>
public static class DashboardEndpoints
{
    public const string PolicyName = "DashboardOperators";

    public static IEndpointRouteBuilder MapProtectedDashboard(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        if (!routes.ServiceProvider.GetRequiredService<IOptions<DashboardAccessOptions>>().Value.IsEnabled)
        {
            return routes;
        }

        routes.MapOrleansDashboard(routePrefix: DashboardAccessOptions.RoutePrefix)
            .RequireAuthorization(PolicyName)
            .AddEndpointFilter(static async (context, next) =>
                // Grain state holds balances and operation records: not for a monitoring page. Decided by
                // the endpoint the request matched, not its path, which routing matches loosely (case, a
                // trailing slash).
                IsGrainStateEndpoint(context.HttpContext.GetEndpoint())
                    ? TypedResults.NotFound()
                    : await next(context));
        return routes;
    }

    private static bool IsGrainStateEndpoint(Endpoint? endpoint) =>
        endpoint is not RouteEndpoint route
        || route.RoutePattern.RawText?.TrimEnd('/').EndsWith("/GrainState", StringComparison.OrdinalIgnoreCase) != false;
}
