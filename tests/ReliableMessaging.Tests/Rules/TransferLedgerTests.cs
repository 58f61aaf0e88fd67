using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Rules;

/// <summary>The transfer state transitions at the source, without a cluster: each final state is reached once.</summary>
public sealed class TransferLedgerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private readonly AccountLedger _ledger = new(new AccountOptions { MaxPendingTransfers = 2 });

    private (AccountState State, Guid TransferId) StartTransfer(long amount = 300)
    {
        var state = new AccountState();
        AccountLedger.Open(state);
        state.Balance = 1000;
        var transferId = Guid.CreateVersion7(Now);
        var result = _ledger.Process(state, new(OperationKind.TransferOut, transferId, amount, "bob"), Now);
        Assert.Equal(OperationStatus.Succeeded, result.Status);
        return (state, transferId);
    }

    [Fact]
    public void StartTransfer_DebitsAndAddsToOutboxInOneStateChange()
    {
        var (state, transferId) = StartTransfer();

        Assert.Equal(700, state.Balance);
        Assert.Equal([new PendingTransfer(transferId, "bob", 300)], state.PendingTransfers);
        Assert.Equal(TransferState.Pending, OperationWindow.Find(state, transferId)!.Transfer);
    }

    [Fact]
    public void StartTransfer_SameIdOtherDestination_RefusedAsReused()
    {
        var (state, transferId) = StartTransfer();
        var reused = _ledger.Process(state, new(OperationKind.TransferOut, transferId, 300, "carol"), Now);

        Assert.Equal(OperationStatus.OperationIdReused, reused.Status);
        Assert.Single(state.PendingTransfers);
    }

    [Fact]
    public void StartTransfer_OutboxFull_RefusedWithoutDebit()
    {
        var (state, _) = StartTransfer(100);
        _ledger.Process(state, new(OperationKind.TransferOut, Guid.CreateVersion7(Now.AddMilliseconds(1)), 100, "bob"), Now);

        var refused = _ledger.Process(state, new(OperationKind.TransferOut, Guid.CreateVersion7(Now.AddMilliseconds(2)), 100, "bob"), Now);

        Assert.Equal(OperationStatus.TooManyPendingTransfers, refused.Status);
        Assert.Equal(800, state.Balance);
    }

    [Fact]
    public void Refund_RestoresBalanceOnceAndRecordsDerivedRefund()
    {
        var (state, transferId) = StartTransfer();

        Assert.True(_ledger.RefundTransfer(state, transferId, Now));
        Assert.False(_ledger.RefundTransfer(state, transferId, Now));
        Assert.False(_ledger.CompleteTransfer(state, transferId, Now));

        Assert.Equal(1000, state.Balance);
        Assert.Empty(state.PendingTransfers);
        Assert.Equal(TransferState.Refunded, OperationWindow.Find(state, transferId)!.Transfer);
        var refund = OperationWindow.Find(state, Uuid7.Derive(transferId, AccountLedger.RefundPurpose));
        Assert.Equal((OperationKind.TransferRefund, 300L), (refund!.Kind, refund.Amount));
    }

    [Fact]
    public void Complete_OnceThenRefundAndStuckAreNoOps()
    {
        var (state, transferId) = StartTransfer();

        Assert.True(_ledger.CompleteTransfer(state, transferId, Now));
        Assert.False(_ledger.RefundTransfer(state, transferId, Now));
        Assert.False(_ledger.MarkTransferStuck(state, transferId, Now));

        Assert.Equal(700, state.Balance);
        var record = OperationWindow.Find(state, transferId)!;
        Assert.Equal((TransferState.Completed, Now.ToUnixTimeMilliseconds()), (record.Transfer, record.FinishedUnixMs));
    }

    [Fact]
    public void Stuck_LeavesOutboxWithoutRefundOrResend()
    {
        var (state, transferId) = StartTransfer();

        Assert.True(_ledger.MarkTransferStuck(state, transferId, Now));

        Assert.Equal(700, state.Balance);
        Assert.Empty(state.PendingTransfers);
        Assert.True(_ledger.TryLookupTransfer(state, "alice", transferId, Now, null, out var lookup));
        Assert.Equal(TransferState.Stuck, lookup.Transfer!.State);
    }

    [Fact]
    public void DerivedIds_KeepTimestampAndDifferByPurpose()
    {
        var transferId = Guid.CreateVersion7(Now);
        var credit = Uuid7.Derive(transferId, AccountLedger.CreditPurpose);
        var refund = Uuid7.Derive(transferId, AccountLedger.RefundPurpose);

        Assert.True(Uuid7.IsValid(credit));
        Assert.Equal(Uuid7.GetUnixTimeMilliseconds(transferId), Uuid7.GetUnixTimeMilliseconds(credit));
        Assert.Equal(credit, Uuid7.Derive(transferId, AccountLedger.CreditPurpose));
        Assert.NotEqual(credit, refund);
        Assert.NotEqual(transferId, credit);
    }
}
