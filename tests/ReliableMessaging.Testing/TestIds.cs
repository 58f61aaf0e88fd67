namespace ReliableMessaging.Testing;

/// <summary>Fresh account and operation IDs for tests.</summary>
public static class TestIds
{
    public static string NewId(string prefix = "acct") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(64, prefix.Length + 33)];

    public static Guid NewOperationId() => Guid.CreateVersion7();

    public static Guid OperationIdAt(DateTimeOffset timestamp) => Guid.CreateVersion7(timestamp);
}
