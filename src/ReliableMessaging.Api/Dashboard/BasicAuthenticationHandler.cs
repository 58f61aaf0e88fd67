using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using ReliableMessaging.Api.Problems;

namespace ReliableMessaging.Api.Dashboard;

/// <summary>
/// HTTP Basic authentication (RFC 7617) against the single operator account of
/// <see cref="DashboardAccessOptions"/>. Basic rather than the API's bearer tokens because an
/// operator opens the dashboard in a browser, which re-sends Basic credentials for the dashboard's
/// own API calls and has no way to attach a bearer token. Credentials are compared in constant time
/// (hashes of both, so not even the length leaks), and refused over plain HTTP unless the peer is
/// this host (<see cref="DashboardAccessOptions.RequireHttps"/>): with 403, not a new challenge.
/// </summary>
internal sealed class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<DashboardAccessOptions> access,
    DashboardLoginThrottle throttle) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "DashboardBasic";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header)
            || !"Basic".Equals(header.Scheme, StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!IsTransportAcceptable())
        {
            Context.Items[InsecureTransportKey] = true;
            return Task.FromResult(AuthenticateResult.Fail("Basic credentials over plain HTTP from another host are refused; use HTTPS."));
        }

        // Connections without an IP peer (in-process, a unix socket) share one address.
        var peer = Context.Connection.RemoteIpAddress ?? IPAddress.None;
        var expected = access.Value;
        switch (throttle.Attempt(peer, () => AreRight(header.Parameter, expected)))
        {
            case DashboardLoginVerdict.LockedOut:
                Context.Items[LockedOutKey] = true;
                return Task.FromResult(AuthenticateResult.Fail("Too many failed dashboard logins from this address; wait a minute."));
            case DashboardLoginVerdict.Refused:
                return Task.FromResult(AuthenticateResult.Fail("Wrong user name or password, or malformed Basic credentials."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, expected.Username)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(LockedOutKey))
        {
            Response.Headers.RetryAfter = ((int)DashboardLoginThrottle.Window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await ApiProblem.RateLimited.ToResult("Too many failed dashboard logins from this address; retry after the time in Retry-After.").ExecuteAsync(Context);
            return;
        }

        if (Context.Items.ContainsKey(InsecureTransportKey) || !IsTransportAcceptable())
        {
            // Asking again would only make the browser send the password in clear once more.
            await ApiProblem.Forbidden.ToResult("The dashboard accepts credentials only over HTTPS or from this host.").ExecuteAsync(Context);
            return;
        }

        Response.Headers.WWWAuthenticate = "Basic realm=\"Orleans Dashboard\", charset=\"UTF-8\"";
        await base.HandleChallengeAsync(properties);
    }

    private const string InsecureTransportKey = "rm.dashboard.insecure-transport";

    private const string LockedOutKey = "rm.dashboard.locked-out";

    /// <summary>HTTPS, or a loopback peer, or no IP peer at all (in-process or a unix socket).</summary>
    private bool IsTransportAcceptable() =>
        Request.IsHttps
        || !access.Value.RequireHttps
        || Context.Connection.RemoteIpAddress is not { } remote
        || IPAddress.IsLoopback(remote);

    private static bool AreRight(string encoded, DashboardAccessOptions expected)
    {
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            return false;
        }

        var separator = decoded.IndexOf(':', StringComparison.Ordinal);
        // Both compared whatever the first gives: the time never says the user name was right.
        return separator >= 0 && expected.IsEnabled
            & FixedTimeEquals(decoded[..separator], expected.Username)
            & FixedTimeEquals(decoded[(separator + 1)..], expected.Password);
    }

    private static bool FixedTimeEquals(string actual, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(actual)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
