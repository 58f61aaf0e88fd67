using Microsoft.Playwright;
using ReliableMessaging.Testing;
using Xunit.Abstractions;

namespace ReliableMessaging.Browser.Tests;

/// <summary>
/// Opens the API reference page (Scalar, at /reference) in headless Chromium as a developer would,
/// and finds the withdrawal endpoint with its Idempotency-Key header and the problem codes.
/// </summary>
public sealed class ApiReferenceBrowserTests(ITestOutputHelper output)
{

    [Fact]
    public async Task ApiReference_ShowsTheWithdrawalEndpointItsIdempotencyKeyAndTheProblemCodes()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var cluster = await AccountCluster.StartAsync(postgres, $"reference-{Guid.NewGuid():N}", silos: 1);
        try
        {
            await using var frontEnd = new FrontEndFactory(postgres, cluster).WithKestrel();
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await HeadlessChromium.LaunchAsync(playwright);
            var page = await browser.NewPageAsync();
            HeadlessChromium.AllowForABusyMachine(page);
            var origin = frontEnd.ServerAddress.GetLeftPart(UriPartial.Authority);
            var outside = new List<string>();
            page.Request += (_, request) =>
            {
                if (!request.Url.StartsWith(origin, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
                {
                    outside.Add(request.Url);
                }
            };
            var url = new Uri(frontEnd.ServerAddress, "/reference/v1");
            output.WriteLine($"Opening {url}");

            var response = await page.GotoAsync(url.ToString(), HeadlessChromium.UntilAnswered);
            Assert.Equal(200, response?.Status);

            var screenshot = Path.Combine(AppContext.BaseDirectory, "reference.png");
            try
            {
                // The sidebar lists operations by their summary; the withdrawal's names the key.
                var withdraw = page.GetByText("Debits an amount once per Idempotency-Key").First;
                await withdraw.WaitForAsync();
                await withdraw.ClickAsync();
                await page.GetByText("/accounts/{accountId}/withdrawals").First.WaitForAsync();
                await page.GetByText("Idempotency-Key").First.WaitForAsync();
            }
            finally
            {
                await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
                output.WriteLine($"Screenshot: {screenshot}");
            }

            // Everything the page loads by its load event (fonts, icons, scripts) is in the list below.
            await page.WaitForLoadStateAsync(LoadState.Load);
            var content = await page.ContentAsync();
            Assert.Contains("insufficient-funds", content, StringComparison.Ordinal);
            Assert.Contains("idempotency-key-reused", content, StringComparison.Ordinal);
            Assert.True(outside.Count == 0, "requested from other hosts: " + string.Join(", ", outside));
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
