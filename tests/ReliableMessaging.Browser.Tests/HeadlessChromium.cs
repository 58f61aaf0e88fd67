using Microsoft.Playwright;

namespace ReliableMessaging.Browser.Tests;

/// <summary>
/// Debian's Chromium (installed by scripts/test.sh), launched headless for offline tests: Playwright
/// never downloads a browser, and outside host names do not resolve, so every page stays on 127.0.0.1.
/// </summary>
internal static class HeadlessChromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        ArgumentNullException.ThrowIfNull(playwright);
        Assert.True(File.Exists(ExecutablePath), $"{ExecutablePath} is missing: scripts/test.sh installs Debian's chromium.");
        return await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ],
        });
    }
}
