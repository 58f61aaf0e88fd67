using ReliableMessaging.Api.Hosting;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Api.Security;

// `token ...`: print a development token for the configured local key, and do not serve.
if (args is [TokenCommand.Name, .. var tokenArgs])
{
    var configuration = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory }).Configuration;
    return TokenCommand.Run(tokenArgs, configuration, Console.Out, Console.Error);
}

// A setting that cannot be used ends the start with one line and exit 78 (StartupFailure).
return await StartupFailure.RunAsync(
    () =>
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddFrontEnd();
        var app = builder.Build();
        app.MapFrontEnd();
        return app;
    },
    Console.Error);
