using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using ReliableMessaging.Api.Accounts;

namespace ReliableMessaging.Api.Hosting;

/// <summary>
/// Declares the <c>Idempotency-Key</c> header on every POST of the API in the OpenAPI document (the
/// endpoints read it from the request themselves, so the framework cannot infer it), and the
/// <c>Idempotent-Replayed</c> header on their answers.
/// </summary>
internal sealed class IdempotencyKeyOperationTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        if (!string.Equals(context.Description.HttpMethod, "POST", StringComparison.OrdinalIgnoreCase))
        {
            return Task.CompletedTask;
        }

        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = IdempotencyKey.HeaderName,
            In = ParameterLocation.Header,
            Required = true,
            Description = "The operation's ID: a UUID version 7, made once per logical operation and sent unchanged on every retry "
                + "(bare, or as a structured-field string \"...\"). A retry with the same key and body gets the first answer again.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
        });
        foreach (var response in operation.Responses?.Values ?? Enumerable.Empty<IOpenApiResponse>())
        {
            if (response is OpenApiResponse concrete)
            {
                concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
                concrete.Headers[IdempotencyKey.ReplayedHeaderName] = new OpenApiHeader
                {
                    Description = "\"true\" when the answer is replayed from the record of an earlier execution.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
            }
        }

        return Task.CompletedTask;
    }
}
