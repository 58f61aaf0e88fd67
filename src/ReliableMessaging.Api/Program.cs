using ReliableMessaging.Api.Hosting;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Api.Security;

// A setting that cannot be used ends it with one line and exit 78 (StartupFailure).
return await StartupFailure.RunAsync(
    async () =>
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args is [TokenCommand.Name, ..] ? [] : args,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // `token ...`: print a development token for the configured local key, and do not serve.
        if (args is [TokenCommand.Name, .. var tokenArgs])
        {
            return TokenCommand.Run(tokenArgs, builder.Configuration, Console.Out, Console.Error);
        }

        builder.AddFrontEnd();
        var app = builder.Build();
        app.MapFrontEnd();
        await app.RunAsync();
        return 0;
    },
    Console.Error);
