using Scalar.AspNetCore;

namespace ReliableMessaging.Api.Hosting;

/// <summary>
/// The API reference page (Scalar) at <c>/reference</c>, rendered from <c>/openapi/v1.json</c>: the
/// endpoints, the Idempotency-Key header and the problem codes. Served from this process with no
/// outside fonts, CDN or telemetry.
/// </summary>
public static class ApiReferenceEndpoints
{
    public const string Path = "/reference";

    public static WebApplication MapApiReference(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapScalarApiReference(Path, options => options
            .WithTitle("ReliableMessaging API reference")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .DisableDefaultFonts()
            .DisableTelemetry())
            .AllowAnonymous();
        return app;
    }
}
