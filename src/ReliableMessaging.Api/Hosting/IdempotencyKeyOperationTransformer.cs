using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using ReliableMessaging.Api.Accounts;

namespace ReliableMessaging.Api.Hosting;

/// <summary>
/// Completes the <c>Idempotency-Key</c> header of every operation that binds it: the framework
/// documents the bound parameter, but as optional (it is bound as <c>string?</c> so that a missing
/// key gets its own problem code) and without its format. Also declares the
/// <c>Idempotent-Replayed</c> header on those operations' answers.
/// </summary>
internal sealed class IdempotencyKeyOperationTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        var parameters = operation.Parameters;
        var index = parameters?.ToList().FindIndex(parameter =>
            parameter.In == ParameterLocation.Header && string.Equals(parameter.Name, IdempotencyKey.HeaderName, StringComparison.OrdinalIgnoreCase)) ?? -1;
        if (index < 0)
        {
            return Task.CompletedTask;
        }

        parameters![index] = new OpenApiParameter
        {
            Name = IdempotencyKey.HeaderName,
            In = ParameterLocation.Header,
            Required = true,
            Description = "The operation's ID: a UUID version 7, made once per logical operation and sent unchanged on every retry "
                + "(bare, or as a structured-field string \"...\"). A retry with the same key and body of an operation that ran gets its answer again; "
                + "a refusal that executed nothing and is not recorded is decided again.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
        };
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
