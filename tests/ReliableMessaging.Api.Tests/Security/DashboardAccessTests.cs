using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Api.Tests.Security;

/// <summary>
/// The dashboard's Basic credentials travel in clear over HTTP: accepted over HTTPS or from this
/// host, refused with 403 (and no new challenge) from any other peer over plain HTTP.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class DashboardAccessTests(ApiFixture fixture)
{
    [Fact]
    public async Task Dashboard_BasicOverPlainHttpFromAnotherHost_403WithoutChallenge()
    {
        var context = await SendAsync("http", IPAddress.Parse("192.0.2.10"), withCredentials: true);
        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
        Assert.False(context.Response.Headers.ContainsKey("WWW-Authenticate"));
    }

    [Fact]
    public async Task Dashboard_PlainHttpFromAnotherHostWithoutCredentials_403RatherThanAskingForThem()
    {
        var context = await SendAsync("http", IPAddress.Parse("192.0.2.10"), withCredentials: false);
        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
        Assert.False(context.Response.Headers.ContainsKey("WWW-Authenticate"));
    }

    [Fact]
    public async Task Dashboard_BasicOverHttpsFromAnotherHost_Served()
    {
        var context = await SendAsync("https", IPAddress.Parse("192.0.2.10"), withCredentials: true);
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
    }

    [Fact]
    public async Task Dashboard_BasicOverPlainHttpFromLoopback_Served()
    {
        var context = await SendAsync("http", IPAddress.IPv6Loopback, withCredentials: true);
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
    }

    [Fact]
    public async Task Dashboard_TenWrongPasswordsFromOneAddress_ItsNextLoginRefused429Unchecked_OtherAddressesServed()
    {
        // An address of its own (the throttle is per peer): other tests' addresses are not affected.
        var guesser = IPAddress.Parse("198.51.100.77");
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var wrong = await SendAsync("https", guesser, withCredentials: true, password: $"guess-{attempt}");
            Assert.Equal(StatusCodes.Status401Unauthorized, wrong.Response.StatusCode);
        }

        // The right password no longer helps from there, for the rest of the minute; elsewhere it does.
        var lockedOut = await SendAsync("https", guesser, withCredentials: true);
        Assert.Equal(StatusCodes.Status429TooManyRequests, lockedOut.Response.StatusCode);
        Assert.Equal("60", lockedOut.Response.Headers.RetryAfter.ToString());
        Assert.False(lockedOut.Response.Headers.ContainsKey("WWW-Authenticate"));
        var other = await SendAsync("https", IPAddress.Parse("198.51.100.78"), withCredentials: true);
        Assert.Equal(StatusCodes.Status200OK, other.Response.StatusCode);
    }

    [Fact]
    public async Task Dashboard_WrongPasswordsFromAddressesOfOneIpv6Slash64_CountTogether()
    {
        // A host owns its whole /64: rotating through it must not reset the count.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var wrong = await SendAsync("https", IPAddress.Parse($"2001:db8:77:1::{attempt + 1:x}"), withCredentials: true, password: $"guess-{attempt}");
            Assert.Equal(StatusCodes.Status401Unauthorized, wrong.Response.StatusCode);
        }

        var lockedOut = await SendAsync("https", IPAddress.Parse("2001:db8:77:1:ffff::1"), withCredentials: true);
        Assert.Equal(StatusCodes.Status429TooManyRequests, lockedOut.Response.StatusCode);
        var otherNetwork = await SendAsync("https", IPAddress.Parse("2001:db8:77:2::1"), withCredentials: true);
        Assert.Equal(StatusCodes.Status200OK, otherNetwork.Response.StatusCode);
    }

    private Task<HttpContext> SendAsync(string scheme, IPAddress remote, bool withCredentials, string? password = null) =>
        fixture.FrontEndA.Server.SendAsync(context =>
        {
            context.Request.Method = HttpMethods.Get;
            context.Request.Scheme = scheme;
            // The page itself: the same access rules as every dashboard endpoint, without a grain call
            // (the counters' call to the dashboard grain may outlast its response timeout on a loaded host).
            context.Request.Path = "/dashboard/";
            context.Connection.RemoteIpAddress = remote;
            if (withCredentials)
            {
                context.Request.Headers.Authorization = "Basic " + Convert.ToBase64String(
                    Encoding.UTF8.GetBytes($"{FrontEndFactory.DashboardUser}:{password ?? ApiFixture.DashboardPassword}"));
            }
        });
}
