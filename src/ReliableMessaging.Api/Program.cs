using ReliableMessaging.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddFrontEnd();

var app = builder.Build();
app.MapFrontEnd();
app.Run();

