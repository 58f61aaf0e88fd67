using ReliableMessaging.Atm.Simulation;

namespace ReliableMessaging.Deployment.Tests.Chaos;

/// <summary>
/// The simulator's own bookkeeping of which accounts may receive transfers. (Accounts opened at once
/// each publish the list under one lock; no test here reproduces the race it closes: on two cores a
/// thousand concurrent additions never lost one without it either.)
/// </summary>
public sealed class OperationJournalTests
{
    [Fact]
    public void Retire_NoLongerADestination_StillAnAccountOfTheRun()
    {
        var journal = new OperationJournal();
        journal.AddAccount("a");
        journal.AddAccount("b");

        journal.Retire("a");

        Assert.Equal(["b"], journal.ActiveAccounts);
        Assert.Equal(["a", "b"], journal.Accounts);
    }
}
