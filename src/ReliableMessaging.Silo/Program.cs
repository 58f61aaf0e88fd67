using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Silo.Hosting;

// `dev-cert FILE [PASSWORD]`: write a development certificate for the cluster's TLS, and do not run.
if (args is [DevCertificateCommand.Name, .. var certificateArgs])
{
    return DevCertificateCommand.Run(certificateArgs, Console.Out, Console.Error);
}

// A setting that cannot be used, or a database that cannot be reached, ends the start with one line and exit 78 or 69.
return await StartupFailure.RunAsync(
    () =>
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.AddSiloTelemetry();
        builder.UseOrleans(silo => silo.UseSiloEndpoints().AddReliableMessaging());
        return builder.Build();
    },
    Console.Error);
