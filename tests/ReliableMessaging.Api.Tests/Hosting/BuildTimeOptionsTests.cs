using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using ReliableMessaging.Api.Hosting;
using ReliableMessaging.Api.Security;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Api.Tests.Hosting;

/// <summary>The one helper for options read before the container exists: bound like the rest, and validated by the same annotations.</summary>
public sealed class BuildTimeOptionsTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    [Fact]
    public void ReadAtBuildTime_SetKeysBoundAndDefaultsKept()
    {
        var options = Configuration(("Orleans:ClusterId", "blue"), ("Orleans:ResponseTimeout", "00:00:03"))
            .ReadAtBuildTime<FrontEndOptions>(FrontEndOptions.SectionName);

        Assert.Equal(("blue", "reliable-messaging", TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(2)),
            (options.ClusterId, options.ServiceId, options.ResponseTimeout, options.ConnectTimeout));
    }

    [Fact]
    public void ReadAtBuildTime_MissingSection_Defaults()
    {
        var options = Configuration().ReadAtBuildTime<ClusterTlsOptions>(ClusterTlsOptions.SectionName);
        Assert.False(options.IsEnabled);
    }

    [Theory]
    [InlineData("Orleans:ResponseTimeout", "00:00:00")]
    [InlineData("Orleans:ClusterId", "")]
    public void ReadAtBuildTime_ValueBreakingItsAnnotations_RefusedNamingTheSetting(string key, string value)
    {
        var configuration = Configuration((key, value));

        var refused = Assert.Throws<ValidationException>(() => configuration.ReadAtBuildTime<FrontEndOptions>(FrontEndOptions.SectionName));

        Assert.Contains(key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..], refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadAtBuildTime_RateLimitBurstOfZero_Refused()
    {
        var configuration = Configuration(("RateLimit:Burst", "0"));
        Assert.Throws<ValidationException>(() => configuration.ReadAtBuildTime<RateLimitOptions>(RateLimitOptions.SectionName));
    }
}
