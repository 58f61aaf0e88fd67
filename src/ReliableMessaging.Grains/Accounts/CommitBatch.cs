namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// Operations that will be made durable by the same state write. Their callers all wait on
/// <see cref="Completion"/>: it succeeds when the write succeeded and fails when it failed.
/// </summary>
internal sealed class CommitBatch
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public List<Guid> OperationIds { get; } = [];

    public int Size { get; set; }

    public Task Completion => _completion.Task;

    public void Succeed() => _completion.TrySetResult();

    public void Fail(Exception exception) => _completion.TrySetException(exception);
}
