using System.Diagnostics;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Grains.Telemetry;

/// <summary>
/// Counts every answered money operation (<see cref="AccountMetrics.Operations"/>) and tags the grain
/// call's span with the account and operation ID, from outside the grains: the answer already says
/// whether it was executed, replayed or refused.
/// </summary>
public sealed class AccountCallTelemetryFilter : IIncomingGrainCallFilter
{
    public const string AccountIdTag = "reliablemessaging.account.id";
    public const string OperationIdTag = "reliablemessaging.operation.id";

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var grainInterface = context.Request.GetInterfaceType();
        var isAccount = grainInterface == typeof(IAccountGrain);
        var isTransfer = grainInterface == typeof(ITransferGrain);
        if ((isAccount || isTransfer) && Activity.Current is { } activity)
        {
            if (isAccount)
            {
                activity.SetTag(AccountIdTag, context.TargetId.Key.ToString());
            }

            var operationId = isTransfer ? context.TargetId.Key.ToString() : context.Request.GetArgumentCount() > 0 && context.Request.GetArgument(0) is Guid id ? id.ToString() : null;
            if (operationId is not null)
            {
                activity.SetTag(OperationIdTag, operationId);
            }
        }

        await context.Invoke();

        switch (context.Result)
        {
            case OperationResult result when isAccount:
                var kind = context.Request.GetMethodName() switch
                {
                    nameof(IAccountGrain.Deposit) => "deposit",
                    nameof(IAccountGrain.Withdraw) => "withdrawal",
                    nameof(IAccountGrain.ReceiveTransfer) => "transfer-credit",
                    _ => null,
                };
                if (kind is not null)
                {
                    AccountMetrics.RecordOperation(kind, result.Status, result.IsReplay);
                }

                break;
            case TransferResult transfer when isTransfer && context.Request.GetMethodName() == nameof(ITransferGrain.Start):
                AccountMetrics.RecordOperation("transfer", transfer.Status, transfer.IsReplay);
                break;
        }
    }
}
