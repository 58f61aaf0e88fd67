namespace ReliableMessaging.Grains.Accounts;

/// <summary>The starts of one transfer running on its source account (the first and its repeats), and when the last of them ends.</summary>
internal sealed class StartsInProgress
{
    public int Count { get; set; } = 1;

    public TaskCompletionSource Ended { get; } = new();
}
