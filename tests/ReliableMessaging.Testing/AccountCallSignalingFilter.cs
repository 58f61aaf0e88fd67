using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Testing;

/// <summary>
/// The innermost silo call filter of the test cluster: reports each account grain call that carries an
/// ID (operations, transfer legs and look-ups) to <see cref="AccountCalls"/> once the grain has run it up
/// to its first wait. <c>Invoke</c> runs the grain method synchronously until then, on the grain's own
/// scheduler, so when it returns the call has been decided (for an operation: enlisted in a write),
/// though not necessarily answered.
/// </summary>
public sealed class AccountCallSignalingFilter : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var invoked = context.Invoke();
        if (context.Request.GetInterfaceType() == typeof(IAccountGrain)
            && context.Request.GetArgumentCount() > 0
            && context.Request.GetArgument(0) is Guid id)
        {
            AccountCalls.SignalStarted(context.TargetId.Key.ToString()!, context.Request.GetMethodName(), id, waiting: !invoked.IsCompleted);
        }

        return invoked;
    }
}
