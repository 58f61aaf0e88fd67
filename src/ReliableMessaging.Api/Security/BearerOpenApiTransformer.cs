using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ReliableMessaging.Api.Security;

/// <summary>
/// Declares the bearer scheme in the OpenAPI document and, on each operation, the scope it needs
/// (from <see cref="RequiredScope"/> metadata). Operations without one (health) need no token.
/// </summary>
internal sealed class BearerOpenApiTransformer : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public const string SchemeName = "Bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = $"A JWT whose `scope` claim holds the scopes an operation lists ({string.Join(", ", ApiScopes.All.Select(scope => $"`{scope}`"))}); "
                + $"its `{ApiClaims.Accounts}` claim names the account IDs it may use (`\"{ApiClaims.EveryAccount}\"` for every account; without it, none).",
        };
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        var scope = context.Description.ActionDescriptor.EndpointMetadata.OfType<RequiredScope>().LastOrDefault();
        if (scope is not null)
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [scope.Scope],
            });
        }

        return Task.CompletedTask;
    }
}
