using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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
    private sealed class DatabaseError(string message, string? sqlState = null, bool isTransient = false) : DbException(message)
    {
        public override string? SqlState => sqlState;

        public override bool IsTransient => isTransient;
    }

    /// <summary>A host whose one hosted service fails as told when it starts or stops.</summary>
    private sealed class FailingService(Exception? onStart, Exception? onStop) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => onStart is null ? Task.CompletedTask : Task.FromException(onStart);

        public Task StopAsync(CancellationToken cancellationToken) => onStop is null ? Task.CompletedTask : Task.FromException(onStop);
    }

    private static Task WhenStartedAsync(IHost host)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(started.SetResult);
        return started.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static IHost HostWith(Exception? onStart = null, Exception? onStop = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddHostedService(_ => new FailingService(onStart, onStop));
        return builder.Build();
    }

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

    [Theory]
    [InlineData("08001", StartupFailure.DatabaseExitCode)]
    [InlineData("57P03", StartupFailure.DatabaseExitCode)]
    [InlineData("53300", StartupFailure.DatabaseExitCode)]
    [InlineData("28P01", StartupFailure.SettingsExitCode)]
    [InlineData("3D000", StartupFailure.SettingsExitCode)]
    [InlineData("42P01", null)]
    [InlineData("42501", null)]
    [InlineData("42601", null)]
    public void Describe_DatabaseFailingAtStart_UnreachableMayPass_ALoginIsASetting_TheRestNotMapped(string sqlState, int? exitCode)
    {
        // A missing table or grant, or an error in the project's own SQL, is no reason to restart for ever.
        var failure = new DatabaseError("the server said no", sqlState);

        Assert.Equal(exitCode, StartupFailure.Describe(new OrleansException("Membership failed to start", failure))?.ExitCode);
    }

    [Fact]
    public void Describe_DatabaseUnreachableWithoutAServerAnswer_Exit69OnlyWhenTransient()
    {
        var refused = StartupFailure.Describe(new DatabaseError("Failed to connect to 127.0.0.1:5432", isTransient: true));

        Assert.Equal(StartupFailure.DatabaseExitCode, refused?.ExitCode);
        Assert.Contains("Failed to connect to 127.0.0.1:5432.", refused?.Line, StringComparison.Ordinal);
        Assert.Null(StartupFailure.Describe(new DatabaseError("an error of the driver's own")));
    }

    [Fact]
    public void Describe_ControlCharactersInAMessage_ShownAsQuestionMarks()
    {
        var line = StartupFailure.Describe(new SettingsException("Orleans:Tls:AlsoTrustedSha256 holds '\u001b[31mred\u0007', which is not a hash."))?.Line;

        Assert.Equal("settings: Orleans:Tls:AlsoTrustedSha256 holds '?[31mred?', which is not a hash. Nothing was started; fix the setting and start again.", line);
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
    public async Task RunAsync_BuildOrStartFailsOnASetting_OneLineOnErrorAndItsCode()
    {
        using var error = new StringWriter();

        Assert.Equal(StartupFailure.SettingsExitCode, await StartupFailure.RunAsync(() => throw new SettingsException("Orleans:Tls:CertificatePath is not set."), error));
        Assert.Equal(StartupFailure.DatabaseExitCode, await StartupFailure.RunAsync(() => HostWith(onStart: new DatabaseError("Failed to connect", "08006")), error));
        Assert.Equal(
            ["settings: Orleans:Tls:CertificatePath is not set. Nothing was started; fix the setting and start again.",
             "database: Failed to connect. Nothing was started (ConnectionStrings:ReliableMessaging); start again once it answers."],
            error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task RunAsync_ABugAtStartOrAFailureAfterIt_StaysAnException_NeverAStartFailure()
    {
        using var error = new StringWriter();
        await Assert.ThrowsAsync<InvalidOperationException>(() => StartupFailure.RunAsync(() => HostWith(onStart: new InvalidOperationException("a bug")), error));

        // Days later, a service fails to stop: not "nothing was started", not exit 69.
        using var host = HostWith(onStop: new DatabaseError("Failed to connect", "08006"));
        var running = StartupFailure.RunAsync(() => host, error);
        await WhenStartedAsync(host);
        host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        await Assert.ThrowsAnyAsync<Exception>(() => running);
        Assert.Empty(error.ToString());

        // And one that starts and stops cleanly exits 0.
        using var clean = HostWith();
        var cleanRun = StartupFailure.RunAsync(() => clean, error);
        await WhenStartedAsync(clean);
        clean.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        Assert.Equal(0, await cleanRun);
    }
}
