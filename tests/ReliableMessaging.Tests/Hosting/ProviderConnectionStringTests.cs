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
        Assert.Equal(50, tuned.MaxPoolSize);
    }

    [Theory]
    [InlineData("Host=db;No Reset On Close=false;Max Auto Prepare=0")]
    [InlineData("Host=db;no reset on close=False;max auto prepare=0")]
    [InlineData("Host=db;NoResetOnClose=false;MaxAutoPrepare=0")]
    public void For_SettingsNamedExplicitly_KeptAsGiven(string configured)
    {
        var tuned = new NpgsqlConnectionStringBuilder(ProviderConnectionString.For(configured));

        Assert.False(tuned.NoResetOnClose);
        Assert.Equal(0, tuned.MaxAutoPrepare);
    }
}
