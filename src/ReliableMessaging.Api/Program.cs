using ReliableMessaging.Api.Hosting;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});
builder.AddFrontEnd();

var app = builder.Build();
app.MapFrontEnd();
app.Run();
