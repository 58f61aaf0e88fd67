using System.Globalization;
using Npgsql;
using Orleans.Configuration;
using ReliableMessaging.Audit;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Hosting;

// Usage: ReliableMessaging.Audit [ACCOUNT_ID ...]   (no IDs: every account of the service)
// Exit codes: 0 every account matches its journal, 1 differences or unreachable accounts, 2 the audit could not run.
//        ReliableMessaging.Audit resolve-held-transfer [--by OPERATOR] SOURCE_ACCOUNT TRANSFER_ID completed|refunded REASON...
// (see HeldTransferCommand; exit 2 also when the cluster could not be asked).
HeldTransferCommand? resolution = null;
if (args is [HeldTransferCommand.Name, ..])
{
    resolution = HeldTransferCommand.Parse(args[1..], out var usageError);
    if (resolution is null)
    {
        await Console.Error.WriteLineAsync(usageError);
        return 2;
    }
}

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = [],
    ContentRootPath = AppContext.BaseDirectory,
});
builder.Logging.SetMinimumLevel(LogLevel.Warning);
// A client that cannot start is reported below in one line (exit 2), not as the host's stack trace.
builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.None);
var connectionString = builder.Configuration.GetConnectionString(ClusterDatabase.ConnectionStringName);
if (string.IsNullOrWhiteSpace(connectionString))
{
    await Console.Error.WriteLineAsync($"ConnectionStrings:{ClusterDatabase.ConnectionStringName} is not set (appsettings.json or ConnectionStrings__{ClusterDatabase.ConnectionStringName}).");
    return 2;
}

var clusterId = builder.Configuration["Orleans:ClusterId"] ?? "reliable-messaging";
var serviceId = builder.Configuration["Orleans:ServiceId"] ?? "reliable-messaging";
builder.UseOrleansClient(client =>
{
    client.UseAdoNetClustering(options =>
    {
        options.Invariant = ClusterDatabase.Invariant;
        options.ConnectionString = connectionString;
    });
    client.Configure<ClusterOptions>(options =>
    {
        options.ClusterId = clusterId;
        options.ServiceId = serviceId;
    });
    // A cluster on TLS (Orleans:Tls) admits only clients that hold its certificate.
    client.UseClusterTls(builder.Configuration.ReadAtBuildTime<ClusterTlsOptions>(ClusterTlsOptions.SectionName));
});

using var host = builder.Build();
try
{
    await host.StartAsync();
}
catch (Exception exception) when (exception is OrleansException or TimeoutException or NpgsqlException)
{
    // The cluster's gateways (listed in the database) could not be reached: nothing was asked or changed.
    await Console.Error.WriteLineAsync($"Could not reach the cluster: {exception.Message}. Nothing was {(resolution is null ? "audited" : "resolved")}.");
    return 2;
}

await using var dataSource = NpgsqlDataSource.Create(connectionString);
string? owner;
try
{
    owner = await ClusterServiceCheck.FindOwnerAsync(dataSource, clusterId);
}
catch (NpgsqlException exception)
{
    await Console.Error.WriteLineAsync($"Could not read the database: {exception.Message}. Nothing was {(resolution is null ? "audited" : "resolved")}.");
    await host.StopAsync();
    return 2;
}

if (owner is not null && owner != serviceId)
{
    // The accounts answering are the cluster's service's; the journal rows read would be another's.
    await Console.Error.WriteLineAsync($"Orleans:ClusterId '{clusterId}' belongs to Orleans:ServiceId '{owner}', and this tool has '{serviceId}'. Nothing was {(resolution is null ? "audited" : "resolved")}.");
    await host.StopAsync();
    return 2;
}

if (resolution is not null)
{
    int exitCode;
    try
    {
        exitCode = await resolution.RunAsync(host.Services.GetRequiredService<IClusterClient>(), Console.Out);
    }
    catch (Exception exception) when (exception is AccountStorageException or OrleansException or TimeoutException or OperationCanceledException)
    {
        // The cluster, the account, its storage or the destination could not be reached, or did not answer
        // in time: the resolution may or may not have been written. Running it again is safe (a transfer
        // already resolved answers that it is no longer pending) and says which.
        await Console.Error.WriteLineAsync($"NOT CONFIRMED transfer {resolution.TransferId} from {resolution.Source}: {exception.Message}. It may or may not have been resolved; run the same command again to find out (it never resolves a transfer twice).");
        exitCode = 2;
    }

    await host.StopAsync();
    return exitCode;
}

AuditReport report;
try
{
    report = await new JournalAudit(host.Services.GetRequiredService<IClusterClient>(), dataSource, serviceId)
        .RunAsync(args.Length > 0 ? args : null);
}
catch (NpgsqlException exception)
{
    // The journal itself cannot be read: no verdict on any account.
    await Console.Error.WriteLineAsync($"The audit could not read the journal: {exception.Message}");
    await host.StopAsync();
    return 2;
}

foreach (var difference in report.Differences)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"DIFFERENCE {difference.AccountId}: {difference.Reason} (balance {difference.Balance}, journal sum {difference.JournalSum}, {difference.JournalRows} of {difference.LastSequence} records)"));
}

foreach (var account in report.Unreachable)
{
    Console.WriteLine($"UNREACHABLE {account}");
}

foreach (var transfer in report.Pending)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"PENDING {transfer.Source}: transfer {transfer.TransferId} of {transfer.Amount} to {transfer.Destination}, debited {transfer.DebitedAt:O}, not finished (held for an operator, or its destination not answering: see the silos' errors 1025, 1029, 1034)"));
}

if (report.MoneyCreated)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"MONEY CREATED: credits and refunds exceed the transfers debited by {-report.InTransfer} over every account (a transfer credited and refunded; on a busy service, run the audit again when it is quiet)"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"audit: {report.AccountsChecked} accounts checked, {report.Differences.Count} differences, {report.Unreachable.Count} unreachable; total balance {report.TotalBalance}, in transfer {report.InTransfer}, {report.PendingCount} transfers pending"));
await host.StopAsync();
return report.Passed ? 0 : 1;
