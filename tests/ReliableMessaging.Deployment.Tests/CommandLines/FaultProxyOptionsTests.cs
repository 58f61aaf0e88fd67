using ReliableMessaging.FaultProxy;

namespace ReliableMessaging.Deployment.Tests.CommandLines;

/// <summary>The fault proxy's command line, as scripts/cluster.sh --db-path-proxies starts it.</summary>
public sealed class FaultProxyOptionsTests
{
    [Fact]
    public void Parse_TheClusterScriptsCommandLine_ReadsEveryValue_ListensOnAnyFreePortByDefault()
    {
        var options = FaultProxyOptions.Parse(["--target-port", "54329", "--control-file", "/tmp/proxy-2.control", "--state-file", "/tmp/proxy-2.state"], out var error);

        Assert.Equal(new FaultProxyOptions(54329, "/tmp/proxy-2.control", "/tmp/proxy-2.state", 0), options);
        Assert.Equal("", error);
        Assert.Equal(6000, FaultProxyOptions.Parse(["--state-file", "s", "--listen-port", "6000", "--control-file", "c", "--target-port", "1"], out _)!.ListenPort);
    }

    [Theory]
    [InlineData("--target-port", "54329", "--control-file", "c")]
    [InlineData("--state-file", "s", "--control-file", "c")]
    [InlineData("--target-port", "1", "--state-file", "s")]
    [InlineData("--target-port", "0", "--state-file", "s", "--control-file", "c")]
    [InlineData("--target-port", "70000", "--state-file", "s", "--control-file", "c")]
    [InlineData("--target-port", "-1", "--state-file", "s", "--control-file", "c")]
    [InlineData("--target-port", "1", "--state-file", "s", "--control-file", "c", "--listen-port", "x")]
    [InlineData("--target-port", "1", "--state-file", "s", "--control-file", "c", "--bogus", "1")]
    [InlineData("--target-port", "1", "--control-file", "c", "--state-file")]
    public void Parse_MissingOrBadValue_NoOptionsAndTheUsage(params string[] args)
    {
        var options = FaultProxyOptions.Parse(args, out var error);

        Assert.Null(options);
        Assert.Contains(FaultProxyOptions.Usage, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hung\n", true)]
    [InlineData("forwarding", false)]
    [InlineData(null, false)]
    [InlineData("hnug", null)]
    public void ControlFile_OneWord_AbsentMeansForwarding_AnythingElseIgnored(string? content, bool? hung)
    {
        var path = Path.Combine(Path.GetTempPath(), $"proxy-{Guid.NewGuid():N}.control");
        try
        {
            if (content is not null)
            {
                File.WriteAllText(path, content);
            }

            Assert.Equal(hung, ProxyControlFile.ReadHung(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void StateFile_WrittenWhole_PortAndMode()
    {
        var path = Path.Combine(Path.GetTempPath(), $"proxy-{Guid.NewGuid():N}.state");
        try
        {
            ProxyStateFile.Write(path, 41000, hung: false);
            Assert.Equal("port=41000\nmode=forwarding\n", File.ReadAllText(path));
            ProxyStateFile.Write(path, 41000, hung: true);
            Assert.Equal("port=41000\nmode=hung\n", File.ReadAllText(path));
            Assert.False(File.Exists(path + ".partial"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
