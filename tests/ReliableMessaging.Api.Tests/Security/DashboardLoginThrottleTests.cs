using System.Net;
using ReliableMessaging.Api.Dashboard;

namespace ReliableMessaging.Api.Tests.Security;

/// <summary>The dashboard's password throttle, without a front end: what concurrent guesses get.</summary>
public sealed class DashboardLoginThrottleTests
{
    [Fact]
    public async Task Attempt_ManyConcurrentWrongGuesses_OnlyTheWindowsTenAreChecked_TheRestLockedOutUnchecked()
    {
        using var throttle = new DashboardLoginThrottle();
        var guesser = IPAddress.Parse("203.0.113.9");
        var checkedGuesses = 0;
        var inCheck = 0;
        var mostAtOnce = 0;
        using var start = new ManualResetEventSlim();

        // Each check takes a while, so the guesses overlap: all of them are in flight before any is counted.
        bool SlowWrongCheck()
        {
            var now = Interlocked.Increment(ref inCheck);
            InterlockedMax(ref mostAtOnce, now);
            Interlocked.Increment(ref checkedGuesses);
            Thread.Sleep(20);
            Interlocked.Decrement(ref inCheck);
            return false;
        }

        var guesses = Enumerable.Range(0, 40).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.Wait();
                return throttle.Attempt(guesser, SlowWrongCheck);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        start.Set();
        var verdicts = await Task.WhenAll(guesses);

        Assert.Equal(DashboardLoginThrottle.FailuresPerWindow, checkedGuesses);
        Assert.Equal(1, mostAtOnce);
        Assert.Equal(DashboardLoginThrottle.FailuresPerWindow, verdicts.Count(v => v == DashboardLoginVerdict.Refused));
        Assert.Equal(40 - DashboardLoginThrottle.FailuresPerWindow, verdicts.Count(v => v == DashboardLoginVerdict.LockedOut));

        // Locked out means unchecked: even the right password is not looked at until the window ends.
        var rightChecked = false;
        Assert.Equal(DashboardLoginVerdict.LockedOut, throttle.Attempt(guesser, () => rightChecked = true));
        Assert.False(rightChecked);
    }

    [Fact]
    public void Attempt_RightCredentials_NeverCountAsFailures()
    {
        using var throttle = new DashboardLoginThrottle();
        var operatorAddress = IPAddress.Parse("203.0.113.10");
        for (var login = 0; login < 3 * DashboardLoginThrottle.FailuresPerWindow; login++)
        {
            Assert.Equal(DashboardLoginVerdict.Accepted, throttle.Attempt(operatorAddress, () => true));
        }

        for (var guess = 0; guess < DashboardLoginThrottle.FailuresPerWindow; guess++)
        {
            Assert.Equal(DashboardLoginVerdict.Refused, throttle.Attempt(operatorAddress, () => false));
        }

        Assert.Equal(DashboardLoginVerdict.LockedOut, throttle.Attempt(operatorAddress, () => true));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
