namespace ReliableMessaging.Api.Security;

/// <summary>Puts an endpoint behind one scope: the authorization policy of that name, and its metadata.</summary>
public static class ScopeEndpointExtensions
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.RequireAuthorization(scope).WithMetadata(new RequiredScope(scope));
    }
}
