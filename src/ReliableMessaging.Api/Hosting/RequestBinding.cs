using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using ReliableMessaging.Api.Problems;

namespace ReliableMessaging.Api.Hosting;

/// <summary>
/// How the API binds requests: the framework binds typed bodies (records) with strict JSON
/// options, validates them by their attributes, and binds the Idempotency-Key with
/// <c>[FromHeader]</c>; its failures are answered with the API's stable problem codes
/// (<see cref="BadRequestExceptionHandler"/>, <see cref="ApiProblemDetails"/>). A new operation
/// declares its body record and calls <see cref="AcceptsJsonBody"/>: no reader of its own.
/// </summary>
public static class RequestBinding
{
    /// <summary>The largest request body any operation accepts.</summary>
    public const int MaxBodyBytes = 4096;

    public static IServiceCollection AddRequestBinding(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.ConfigureHttpJsonOptions(options => UseStrictReading(options.SerializerOptions));

        // A binding failure is thrown with its cause (the JsonException and where in the body it
        // is), which the exception handler needs to pick the code; otherwise it is a bare 400.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddValidation();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        return services;
    }

    /// <summary>The strictness the hand-written readers had, as serializer options.</summary>
    internal static void UseStrictReading(JsonSerializerOptions options)
    {
        // Two readers of one body must never see two different amounts.
        options.AllowDuplicateProperties = false;

        // "100" is not an amount (the web defaults read numbers from strings).
        options.NumberHandling = JsonNumberHandling.Strict;

        // Bodies are flat objects and answers nest four levels at most: deep nesting is junk.
        options.MaxDepth = 8;

        // Unknown members stay ignored (UnmappedMemberHandling.Skip, the default), as they always
        // were: a client may send more than an operation reads.
    }

    /// <summary>
    /// The endpoint binds one JSON body of at most <see cref="MaxBodyBytes"/>: the limit as endpoint
    /// metadata (which the server enforces while the body is read) and the problems binding it may answer.
    /// </summary>
    public static RouteHandlerBuilder AcceptsJsonBody(this RouteHandlerBuilder endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes))
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
    }

    /// <summary>
    /// Kestrel, HTTP.sys and IIS apply an endpoint's size limit through
    /// <see cref="IHttpMaxRequestBodySizeFeature"/>. A server without that feature (the in-memory
    /// test server) would read any size: there the limit is applied here, the same way.
    /// </summary>
    public static WebApplication UseRequestSizeLimitFallback(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use((context, next) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is null
                && context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize is { } limit)
            {
                if (context.Request.ContentLength > limit)
                {
                    throw new BadHttpRequestException(TooLargeDetail(limit), StatusCodes.Status413PayloadTooLarge);
                }

                context.Request.Body = new LengthLimitedStream(context.Request.Body, limit);
            }

            return next(context);
        });
        return app;
    }

    /// <summary>
    /// The framework's JSON body reader looks the Content-Type's charset up as written, quotes
    /// included, and throws a bare <see cref="InvalidOperationException"/> (a 500, which clients
    /// retry) when it knows no such encoding (dotnet/aspnetcore#61514). A quoted charset is valid
    /// HTTP: it is unquoted here; one no encoding answers to is the client's mistake, a 415.
    /// </summary>
    public static WebApplication UseJsonCharsetCheck(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is not null
                && MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType)
                && mediaType.Charset is { HasValue: true } charset)
            {
                var name = HeaderUtilities.RemoveQuotes(charset).Value ?? string.Empty;
                if (!IsKnownEncoding(name))
                {
                    await ApiProblem.UnsupportedMediaType.ToResult(
                        $"The Content-Type's charset '{charset.Value}' is not a known encoding: send the body as UTF-8 (charset=utf-8).")
                        .ExecuteAsync(context);
                    return;
                }

                if (name.Length != charset.Length)
                {
                    mediaType.Charset = name;
                    context.Request.ContentType = mediaType.ToString();
                }
            }

            await next(context);
        });
        return app;
    }

    private static bool IsKnownEncoding(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        try
        {
            _ = Encoding.GetEncoding(name);
            return true;
        }
        catch (ArgumentException)
        {
            // No encoding answers to that name.
            return false;
        }
    }

    internal static string TooLargeDetail(long limit) => $"The body is larger than {limit} bytes.";
}
