using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Rules;

/// <summary>The transfer state transitions at the source, without a cluster: each final state is reached once.</summary>
public sealed class TransferRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private readonly AccountRules _rules = new(new AccountOptions { MaxPendingTransfers = 2 });

    private (AccountState State, Guid TransferId) StartTransfer(long amount = 300)
    {
        var state = new AccountState();
        AccountRules.Open(state);
        state.Balance = 1000;
        var transferId = Guid.CreateVersion7(Now);
        var result = _rules.Process(state, new(OperationKind.TransferOut, transferId, amount, "bob"), Now);
        Assert.Equal(OperationStatus.Succeeded, result.Status);
        return (state, transferId);
    }

    [Fact]
    public void StartTransfer_DebitsAndAddsToOutboxInOneStateChange()
    {
        var (state, transferId) = StartTransfer();

        Assert.Equal(700, state.Balance);
        Assert.Equal([new PendingTransfer(transferId, "bob", 300, Now.ToUnixTimeMilliseconds())], state.PendingTransfers);
        Assert.Equal(TransferState.Pending, OperationWindow.Find(state, transferId)!.Transfer);
    }

    [Fact]
    public void StartTransfer_SameIdOtherDestination_RefusedAsReused()
    {
        var (state, transferId) = StartTransfer();
        var reused = _rules.Process(state, new(OperationKind.TransferOut, transferId, 300, "carol"), Now);

        Assert.Equal(OperationStatus.OperationIdReused, reused.Status);
        Assert.Single(state.PendingTransfers);
    }

    [Fact]
    public void StartTransfer_OutboxFull_RefusedWithoutDebit()
    {
        var (state, _) = StartTransfer(100);
        _rules.Process(state, new(OperationKind.TransferOut, Guid.CreateVersion7(Now.AddMilliseconds(1)), 100, "bob"), Now);

        var refused = _rules.Process(state, new(OperationKind.TransferOut, Guid.CreateVersion7(Now.AddMilliseconds(2)), 100, "bob"), Now);

        Assert.Equal(OperationStatus.TooManyPendingTransfers, refused.Status);
        Assert.Equal(800, state.Balance);
    }

    [Fact]
    public void Refund_RestoresBalanceOnceAndRecordsDerivedRefund()
    {
        var (state, transferId) = StartTransfer();

        Assert.True(_rules.RefundTransfer(state, transferId, Now));
        Assert.False(_rules.RefundTransfer(state, transferId, Now));
        Assert.False(_rules.CompleteTransfer(state, transferId, Now));

        Assert.Equal(1000, state.Balance);
        Assert.Empty(state.PendingTransfers);
        Assert.Equal(TransferState.Refunded, OperationWindow.Find(state, transferId)!.Transfer);
        var refund = OperationWindow.Find(state, TransferRecordIds.Refund(transferId));
        Assert.Equal((OperationKind.TransferRefund, 300L), (refund!.Kind, refund.Amount));
    }

    [Fact]
    public void Complete_OnceThenRefundIsANoOp()
    {
        var (state, transferId) = StartTransfer();

        Assert.True(_rules.CompleteTransfer(state, transferId, Now));
        Assert.False(_rules.RefundTransfer(state, transferId, Now));
        Assert.False(_rules.CompleteTransfer(state, transferId, Now));

        Assert.Equal(700, state.Balance);
        var record = OperationWindow.Find(state, transferId)!;
        Assert.Equal((TransferState.Completed, Now.ToUnixTimeMilliseconds()), (record.Transfer, record.FinishedUnixMs));
    }

    [Theory]
    [InlineData(OperationKind.Deposit)]
    [InlineData(OperationKind.TransferIn)]
    public void Credit_LeavesRoomForEveryPendingRefund_RefusedOneUnitPastTheBoundary(OperationKind kind)
    {
        // 300 is in the outbox and may come back: the balance may only grow to long.MaxValue - 300.
        var (state, transferId) = StartTransfer();
        state.Balance = long.MaxValue - 1000;
        var room = long.MaxValue - 300 - state.Balance;

        // A credit arrives under an ID derived from its transfer's; a deposit under the client's UUIDv7.
        Guid IdFor(int ms) => kind == OperationKind.TransferIn
            ? TransferRecordIds.Credit(Guid.CreateVersion7(Now.AddMilliseconds(ms)))
            : Guid.CreateVersion7(Now.AddMilliseconds(ms));
        var refused = _rules.Process(state, new(kind, IdFor(1), room + 1, kind == OperationKind.TransferIn ? "carol" : null), Now);
        var admitted = _rules.Process(state, new(kind, IdFor(2), room, kind == OperationKind.TransferIn ? "carol" : null), Now);

        Assert.Equal(OperationStatus.InvalidAmount, refused.Status);
        Assert.Equal((OperationStatus.Succeeded, long.MaxValue - 300), (admitted.Status, admitted.BalanceAfter!.Value));

        // The refund that may come back still fits, exactly.
        Assert.True(_rules.RefundTransfer(state, transferId, Now));
        Assert.Equal(long.MaxValue, state.Balance);
    }

    [Fact]
    public void Refund_ThatWouldOverflow_KeepsTheTransferPendingInsteadOfGuessing()
    {
        // A state that broke the refund room (written before it was kept): nothing changes, the
        // transfer stays in the outbox (retried and alerted on), and no money is lost or made.
        var (state, transferId) = StartTransfer();
        state.Balance = long.MaxValue - 1;

        Assert.False(_rules.RefundTransfer(state, transferId, Now));
        Assert.Single(state.PendingTransfers);
        Assert.Equal(long.MaxValue - 1, state.Balance);
        Assert.Equal(TransferState.Pending, OperationWindow.Find(state, transferId)!.Transfer);
    }

    [Fact]
    public void DerivedIds_KeepTimestampAndDifferByPurpose()
    {
        var transferId = Guid.CreateVersion7(Now);
        var credit = TransferRecordIds.Credit(transferId);
        var refund = TransferRecordIds.Refund(transferId);

        Assert.True(Uuid7.IsDerived(credit));
        Assert.False(Uuid7.IsValid(credit));
        Assert.False(Uuid7.IsDerived(transferId));
        Assert.Equal(Uuid7.GetUnixTimeMilliseconds(transferId), Uuid7.GetUnixTimeMilliseconds(credit));
        Assert.Equal(credit, TransferRecordIds.Credit(transferId));
        Assert.NotEqual(credit, refund);
        Assert.NotEqual(transferId, credit);
    }
}
