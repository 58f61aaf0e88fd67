using ReliableMessaging.Benchmarks;
using ReliableMessaging.Deployment.Tests.Infrastructure;

namespace ReliableMessaging.Deployment.Tests.CommandLines;

/// <summary>The benchmark's command line: defaults, the options scripts/benchmark.sh passes, help, and usage errors.</summary>
public sealed class BenchmarkCommandLineTests
{
    [Fact]
    public void NoArguments_EveryDefault()
    {
        var (settings, error) = BenchmarkCommandLine.Parse([]);

        Assert.Null(error);
        Assert.NotNull(settings);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.Duration);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.Warmup);
        Assert.Equal(SiloConfigFile.WindowSize, settings.WindowSize);
        Assert.Equal(3, settings.Rounds);
        Assert.Null(settings.OutputFile);
        Assert.Equal(BenchmarkSettings.AllScenarios.Order(), settings.Scenarios.Order());
        Assert.Equal("", settings.CommandLineSuffix);
    }

    [Fact]
    public void EveryOption_Read()
    {
        string[] args = ["--out", "docs/benchmarks.md", "--duration", "20", "--warmup", "0", "--window", "100", "--rounds", "5", "--scenarios", "unique, http,window"];

        var (settings, error) = BenchmarkCommandLine.Parse(args);

        Assert.Null(error);
        Assert.NotNull(settings);
        Assert.Equal("docs/benchmarks.md", settings.OutputFile);
        Assert.Equal((20, 0, 100, 5), ((int)settings.Duration.TotalSeconds, (int)settings.Warmup.TotalSeconds, settings.WindowSize, settings.Rounds));
        Assert.Equal(["http", "unique", "window"], settings.Scenarios.Order());
        // Printed after scripts/benchmark.sh, which passes --out itself.
        Assert.Equal(" " + string.Join(' ', args[2..]), settings.CommandLineSuffix);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--duration", "0")]
    [InlineData("--rounds", "three")]
    [InlineData("--scenarios", "unique,x")]
    [InlineData("--window")]
    public async Task WrongOptionOrValue_OneLineOnStderrAndExitCode2_RunNeverStarts(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var ran = false;

        var exitCode = await BenchmarkCommandLine.InvokeAsync(args, (_, _) => { ran = true; return Task.FromResult(0); }, output, error);

        Assert.Equal(2, exitCode);
        Assert.False(ran);
        Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task BuiltBenchmark_Help_ListsEveryOptionWithItsDefault_AndAWrongOptionIsExit2()
    {
        var dll = BuiltOutputs.Dll("ReliableMessaging.Benchmarks");

        var help = await ProcessRunner.RunAsync("dotnet", [dll, "--help"], null, TimeSpan.FromSeconds(60));
        var wrong = await ProcessRunner.RunAsync("dotnet", [dll, "--no-such-option"], null, TimeSpan.FromSeconds(60));

        Assert.Equal(0, help.ExitCode);
        var lines = help.Output.Split('\n');
        foreach (var option in new[] { "--duration", "--warmup", "--window", "--out", "--scenarios", "--rounds" })
        {
            var line = lines.Single(line => line.TrimStart().StartsWith(option + " ", StringComparison.Ordinal));
            Assert.Contains("default", line, StringComparison.Ordinal);
        }

        Assert.Equal(2, wrong.ExitCode);
        Assert.Single(wrong.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", wrong.Output, StringComparison.Ordinal);
    }
}
