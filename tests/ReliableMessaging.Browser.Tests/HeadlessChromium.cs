using Microsoft.Playwright;

namespace ReliableMessaging.Browser.Tests;

/// <summary>
/// Debian's Chromium (installed by scripts/test.sh), launched headless for offline tests: Playwright
/// never downloads a browser, and outside host names do not resolve, so every page stays on 127.0.0.1.
/// </summary>
internal static class HeadlessChromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>
    /// How long a page may take to answer or show what a test waits for. Beside the five-minute chaos
    /// run (scripts/test.sh now runs them after it) Chromium on a busy CI host needed more than
    /// Playwright's 30 s default to parse the pages' scripts (both browser tests timed out waiting for
    /// the load event; the same failure follows here from slowing the page 40 times with CDP's CPU
    /// throttling). The tests wait for what the user sees, not for how fast it appears.
    /// </summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A navigation that ends when the server's answer arrives (its status is checked); the page's
    /// content is then awaited element by element, each with <see cref="Patience"/>.
    /// </summary>
    public static PageGotoOptions UntilAnswered => new()
    {
        WaitUntil = WaitUntilState.Commit,
        Timeout = (float)Patience.TotalMilliseconds,
    };

    /// <summary>Gives every wait, click and navigation of <paramref name="page"/> <see cref="Patience"/>.</summary>
    public static void AllowForABusyMachine(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        page.SetDefaultTimeout((float)Patience.TotalMilliseconds);
        page.SetDefaultNavigationTimeout((float)Patience.TotalMilliseconds);
    }

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
