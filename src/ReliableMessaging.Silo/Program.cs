using ReliableMessaging.Silo.Hosting;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});
builder.AddSiloTelemetry();
builder.UseOrleans(silo => silo.UseSiloEndpoints().AddReliableMessaging());
await builder.Build().RunAsync();
