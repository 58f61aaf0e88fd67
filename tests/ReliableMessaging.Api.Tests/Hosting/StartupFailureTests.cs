using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using ReliableMessaging.Api.Security;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Api.Tests.Hosting;

/// <summary>
/// What stops a silo or a front end at start with one line and an exit code of its own, and what stays
/// an unhandled exception (a bug must never look like a setting to fix, nor the reverse).
/// </summary>
public sealed class StartupFailureTests
{
    private sealed class RefusedConnection(string message) : DbException(message);

    private static Exception Caught(Action action) => Assert.ThrowsAny<Exception>(action);

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    public static TheoryData<string> SettingsFailures => ["unknown key", "value that does not convert", "file that does not parse", "annotations", "options validation", "project's own"];

    private static Exception SettingsFailure(string kind) => kind switch
    {
        // Thrown by the configuration system itself, as the hosts meet them.
        "unknown key" => Caught(() => Configuration(("Auth:Authorty", "https://id.example")).GetSection("Auth").Get<ApiAuthOptions>(b => b.ErrorOnUnknownConfiguration = true)),
        "value that does not convert" => Caught(() => Configuration(("Orleans:ResponseTimeout", "soon")).ReadAtBuildTime<ReliableMessaging.Api.Hosting.FrontEndOptions>("Orleans")),
        "file that does not parse" => Caught(() =>
        {
            var file = Path.Combine(Path.GetTempPath(), $"rm-startup-{Guid.NewGuid():N}.json");
            File.WriteAllText(file, "{ \"Accounts\": ");
            try
            {
                new ConfigurationBuilder().AddJsonFile(file).Build();
            }
            finally
            {
                File.Delete(file);
            }
        }),
        "annotations" => new ValidationException("Orleans:ResponseTimeout must be between 1 ms and 1 hour."),
        "options validation" => new OptionsValidationException("Auth", typeof(ApiAuthOptions), ["Auth:Issuer is required with a local signing key."]),
        _ => new SettingsException("ConnectionStrings:ReliableMessaging is not set."),
    };

    [Theory]
    [MemberData(nameof(SettingsFailures))]
    public void Describe_SettingThatCannotBeUsed_Exit78_OneLineNamingIt(string kind)
    {
        var failure = SettingsFailure(kind);

        var described = StartupFailure.Describe(failure);

        Assert.NotNull(described);
        Assert.Equal(StartupFailure.SettingsExitCode, described.Value.ExitCode);
        Assert.StartsWith("settings: ", described.Value.Line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', described.Value.Line);
        Assert.Contains(failure.Message.Split('\n')[0].Trim(), described.Value.Line, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_DatabaseFailingAtStart_Exit69_EvenWrappedByTheRuntime()
    {
        var refused = new RefusedConnection("Failed to connect to 127.0.0.1:5432");

        var described = StartupFailure.Describe(new OrleansException("Membership failed to start", refused));

        Assert.Equal(StartupFailure.DatabaseExitCode, described?.ExitCode);
        Assert.Contains("Failed to connect to 127.0.0.1:5432.", described?.Line, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_Bugs_NotMapped_EvenAnInvalidOperationOrBesideASetting()
    {
        // Thrown by this project's code, not by the configuration system: a bug, whatever its type.
        Assert.Null(StartupFailure.Describe(new InvalidOperationException("an invariant broke")));
        Assert.Null(StartupFailure.Describe(new ArgumentException("a wrong argument")));
        Assert.Null(StartupFailure.Describe(new FormatException("parsed wrongly")));
        Assert.Null(StartupFailure.Describe(new AggregateException(new SettingsException("bad"), new InvalidOperationException("a bug"))));

        var both = StartupFailure.Describe(new AggregateException(new SettingsException("first."), new ValidationException("second.")));
        Assert.Equal(StartupFailure.SettingsExitCode, both?.ExitCode);
    }

    [Fact]
    public async Task RunAsync_SettingFailure_OneLineOnErrorAndItsCode_ABugStillThrows()
    {
        using var error = new StringWriter();

        Assert.Equal(StartupFailure.SettingsExitCode, await StartupFailure.RunAsync(() => throw new SettingsException("Orleans:Tls:CertificatePath is not set."), error));
        Assert.Equal(["settings: Orleans:Tls:CertificatePath is not set. Nothing was started; fix the setting and start again."], error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(3, await StartupFailure.RunAsync(() => Task.FromResult(3), error));
        await Assert.ThrowsAsync<InvalidOperationException>(() => StartupFailure.RunAsync(() => throw new InvalidOperationException("a bug"), error));
    }
}
