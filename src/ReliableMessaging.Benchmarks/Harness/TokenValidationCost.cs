using System.Diagnostics;
using Microsoft.IdentityModel.JsonWebTokens;
using ReliableMessaging.Api.Security;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>
/// What checking a bearer token costs the front end per request: the same validation
/// (<see cref="TokenValidation.Parameters"/>, HS256, claims kept as issued) of a token like the
/// benchmark's own, repeated on one thread in this process.
/// </summary>
public static class TokenValidationCost
{
    public static async Task<double> MicrosecondsPerTokenAsync(int count)
    {
        var options = new ApiAuthOptions { SigningKey = TokenIssuer.NewKey(), Issuer = "reliable-messaging-local" };
        var token = TokenIssuer.Issue(options.ReadSigningKey(), options.Issuer, options.Audience, "benchmark", ApiScopes.All, null, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
        var handler = new JsonWebTokenHandler { MapInboundClaims = false };
        var parameters = TokenValidation.Parameters(options);

        async Task ValidateAsync(int times)
        {
            for (var i = 0; i < times; i++)
            {
                var result = await handler.ValidateTokenAsync(token, parameters);
                if (!result.IsValid)
                {
                    throw new InvalidOperationException("The benchmark's token did not validate.", result.Exception);
                }
            }
        }

        await ValidateAsync(Math.Max(1, count / 10));
        var watch = Stopwatch.StartNew();
        await ValidateAsync(count);
        return watch.Elapsed.TotalMicroseconds / count;
    }
}
