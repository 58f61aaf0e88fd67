using Microsoft.Playwright;
using ReliableMessaging.Testing;
using Xunit.Abstractions;

namespace ReliableMessaging.Browser.Tests;

/// <summary>
/// Opens the Orleans Dashboard in headless Chromium (Debian's, at /usr/bin/chromium) after some
/// account traffic, as an operator would, and finds the account grain type on the page.
/// </summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    private const string Password = "browser-test-secret";

    [Fact]
    public async Task Dashboard_AfterTraffic_ShowsAccountGrainType()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var cluster = await AccountCluster.StartAsync(postgres, $"browser-{Guid.NewGuid():N}", silos: 1);
        try
        {
            await using var frontEnd = new FrontEndFactory(postgres, cluster, Password).WithKestrel();
            using var http = new HttpClient { BaseAddress = frontEnd.ServerAddress };
            http.DefaultRequestHeaders.Authorization = FrontEndFactory.FullAccess;
            for (var i = 0; i < 5; i++)
            {
                var accountId = $"browser-{i}";
                (await http.PutAsync(new Uri($"/accounts/{accountId}", UriKind.Relative), null)).EnsureSuccessStatusCode();
                using var deposit = new HttpRequestMessage(HttpMethod.Post, new Uri($"/accounts/{accountId}/deposits", UriKind.Relative))
                {
                    Content = new StringContent("""{"amount": 100}""", System.Text.Encoding.UTF8, "application/json"),
                };
                deposit.Headers.Add("Idempotency-Key", Guid.CreateVersion7().ToString());
                (await http.SendAsync(deposit)).EnsureSuccessStatusCode();
            }

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await HeadlessChromium.LaunchAsync(playwright);
            var context = await browser.NewContextAsync(new()
            {
                HttpCredentials = new() { Username = FrontEndFactory.DashboardUser, Password = Password },
            });
            var page = await context.NewPageAsync();
            HeadlessChromium.AllowForABusyMachine(page);
            var url = new Uri(frontEnd.ServerAddress, "/dashboard/");
            output.WriteLine($"Opening {url}");

            var response = await page.GotoAsync(url.ToString(), HeadlessChromium.UntilAnswered);
            Assert.Equal(200, response?.Status);

            // The Grains page lists every grain type with activations; it fills in as counters arrive.
            await page.GetByText("Overview").First.WaitForAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "Grains", Exact = true }).ClickAsync();
            var screenshot = Path.Combine(AppContext.BaseDirectory, "dashboard.png");
            try
            {
                await page.GetByRole(AriaRole.Link, new() { Name = "AccountGrain", Exact = true }).WaitForAsync();
            }
            finally
            {
                await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
                using var counters = new HttpRequestMessage(HttpMethod.Get, new Uri("/dashboard/DashboardCounters", UriKind.Relative));
                counters.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{FrontEndFactory.DashboardUser}:{Password}")));
                using var answer = await http.SendAsync(counters);
                output.WriteLine($"DashboardCounters: {await answer.Content.ReadAsStringAsync()}");
            }

            output.WriteLine($"Screenshot: {screenshot}");
            Assert.Contains("AccountGrain", await page.ContentAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
