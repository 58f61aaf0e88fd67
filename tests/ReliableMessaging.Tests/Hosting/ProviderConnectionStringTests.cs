using Npgsql;
using ReliableMessaging.Silo.Hosting;

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
    [InlineData("Host=db;Maximum Pool Size=20", 15, 5)]
    [InlineData("Host=db;Maximum Pool Size=22", 17, 5)]
    [InlineData("Host=db;Maximum Pool Size=5", 3, 2)]
    [InlineData("Host=db", 90, 10)]
    public void ProvidersAndJournal_SplitTheProcesssPool_NeverMoreThanItWasGiven(string configured, int providers, int journal)
    {
        // Two pools per silo: each taking the whole of it would put a cluster past PostgreSQL's
        // max_connections, which docker-compose.yml and scripts/cluster.sh divide among the processes.
        var forProviders = new NpgsqlConnectionStringBuilder(ProviderConnectionString.For(configured));
        var forJournal = new NpgsqlConnectionStringBuilder(ProviderConnectionString.ForJournal(configured));

        Assert.Equal((providers, journal), (forProviders.MaxPoolSize, forJournal.MaxPoolSize));
        Assert.Equal(new NpgsqlConnectionStringBuilder(configured).MaxPoolSize, forProviders.MaxPoolSize + forJournal.MaxPoolSize);
        Assert.True(forJournal.NoResetOnClose);
        Assert.Throws<InvalidOperationException>(() => ProviderConnectionString.For("Host=db;Maximum Pool Size=3"));
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
}
