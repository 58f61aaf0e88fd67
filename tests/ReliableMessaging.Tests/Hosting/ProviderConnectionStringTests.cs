using Npgsql;
using ReliableMessaging.Silo.Hosting;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Tests.Hosting;

public sealed class ProviderConnectionStringTests
{
    [Fact]
    public void For_PlainConnectionString_SkipsResetAndPreparesStatementsKeepingEverythingElse()
    {
        var tuned = new NpgsqlConnectionStringBuilder(
            ProviderConnectionString.For("Host=db.internal;Port=6543;Database=bank;Username=silo;Password=s3cret;Maximum Pool Size=50"));

        Assert.True(tuned.NoResetOnClose);
        Assert.Equal(ProviderConnectionString.MaxAutoPrepare, tuned.MaxAutoPrepare);
        Assert.Equal("db.internal", tuned.Host);
        Assert.Equal(6543, tuned.Port);
        Assert.Equal("bank", tuned.Database);
        Assert.Equal("silo", tuned.Username);
        Assert.Equal("s3cret", tuned.Password);
        Assert.Equal((ProviderConnectionString.ConnectTimeoutSeconds, ProviderConnectionString.CommandTimeoutSeconds), (tuned.Timeout, tuned.CommandTimeout));
    }

    [Theory]
    [InlineData("Host=db;Maximum Pool Size=20", 14, 5)]
    [InlineData("Host=db;Maximum Pool Size=22", 16, 5)]
    [InlineData("Host=db;Maximum Pool Size=5", 2, 2)]
    [InlineData("Host=db", 89, 10)]
    public void ProvidersJournalAndProbe_SplitTheProcesssPool_NeverMoreThanItWasGiven(string configured, int providers, int journal)
    {
        // Four pools per silo: each taking the whole of it would put a cluster past PostgreSQL's
        // max_connections, which docker-compose.yml and scripts/cluster.sh divide among the processes.
        // The journal's share is its writer's one connection and its reads' (and pruner's) pool.
        var forProviders = new NpgsqlConnectionStringBuilder(ProviderConnectionString.For(configured));
        var forJournal = new NpgsqlConnectionStringBuilder(ProviderConnectionString.ForJournal(configured));
        var forWriter = new NpgsqlConnectionStringBuilder(ProviderConnectionString.ForJournalWriter(configured));
        var forProbe = new NpgsqlConnectionStringBuilder(ProviderConnectionString.ForProbe(configured, TimeSpan.FromSeconds(5)));

        Assert.Equal((providers, journal - 1, 1, 1), (forProviders.MaxPoolSize, forJournal.MaxPoolSize, forWriter.MaxPoolSize, forProbe.MaxPoolSize));
        Assert.Equal(new NpgsqlConnectionStringBuilder(configured).MaxPoolSize,
            forProviders.MaxPoolSize + forJournal.MaxPoolSize + forWriter.MaxPoolSize + forProbe.MaxPoolSize);
        Assert.True(forJournal.NoResetOnClose);
        Assert.True(forWriter.NoResetOnClose);
        Assert.Throws<SettingsException>(() => ProviderConnectionString.For("Host=db;Maximum Pool Size=4"));
    }

    [Theory]
    [InlineData(5, 5)]
    [InlineData(2.5, 3)]
    [InlineData(0.3, 1)]
    public void ForProbe_WaitsAndRunsNoLongerThanTheProbeTimeout(double timeoutSeconds, int expectedSeconds)
    {
        // A configured Timeout or Command Timeout is for the accounts' statements; the probe keeps its own bound.
        var probe = new NpgsqlConnectionStringBuilder(
            ProviderConnectionString.ForProbe("Host=db;Timeout=30;Command Timeout=60", TimeSpan.FromSeconds(timeoutSeconds)));

        Assert.Equal((expectedSeconds, expectedSeconds), (probe.Timeout, probe.CommandTimeout));
    }

    [Theory]
    [InlineData("Host=db;No Reset On Close=false;Max Auto Prepare=0;Timeout=20;Command Timeout=60")]
    [InlineData("Host=db;no reset on close=False;max auto prepare=0;timeout=20;command timeout=60")]
    [InlineData("Host=db;NoResetOnClose=false;MaxAutoPrepare=0;Timeout=20;CommandTimeout=60")]
    public void For_SettingsNamedExplicitly_KeptAsGiven(string configured)
    {
        var tuned = new NpgsqlConnectionStringBuilder(ProviderConnectionString.For(configured));

        Assert.False(tuned.NoResetOnClose);
        Assert.Equal(0, tuned.MaxAutoPrepare);
        Assert.Equal((20, 60), (tuned.Timeout, tuned.CommandTimeout));
    }

    [Theory]
    [InlineData("Host=db;Command Timeout=0")]
    [InlineData("Host=db;Timeout=0")]
    [InlineData("Host=db;CommandTimeout=600")]
    public void Timeouts_ZeroOrOverAMinute_RefusedInWords_ForEveryPool(string configured)
    {
        // 0 is "wait for ever" to Npgsql: a hung database path would hold every call of the silo's accounts.
        foreach (var tune in new Func<string>[]
                 {
                     () => ProviderConnectionString.For(configured),
                     () => ProviderConnectionString.ForJournal(configured),
                     () => ProviderConnectionString.ForJournalWriter(configured),
                 })
        {
            var refused = Assert.Throws<SettingsException>(tune);
            Assert.Contains("Command Timeout", refused.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Host=db;Multiplexing=true")]
    [InlineData("Host=db;multiplexing=True;Maximum Pool Size=20")]
    public void Multiplexing_RefusedInWords_ForEveryPool(string configured)
    {
        // Npgsql's own refusal came from the probe's unpooled string at start ("Pooling must be on to
        // use multiplexing"), after the providers had taken it; the silo names the setting instead.
        foreach (var tune in new Func<string>[]
                 {
                     () => ProviderConnectionString.For(configured),
                     () => ProviderConnectionString.ForJournal(configured),
                     () => ProviderConnectionString.ForJournalWriter(configured),
                     () => ProviderConnectionString.ForProbe(configured, TimeSpan.FromSeconds(5)),
                 })
        {
            var refused = Assert.Throws<SettingsException>(tune);
            Assert.Contains("Multiplexing", refused.Message, StringComparison.Ordinal);
        }
    }
}
