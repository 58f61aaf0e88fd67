namespace ReliableMessaging.Testing;

/// <summary>What a real client does after a crash: retry the same call until it gets an answer (bounded).</summary>
public static class ClientRetry
{
    public static async Task<T> UntilAnsweredAsync<T>(Func<Task<T>> call, int attempts = 40)
    {
        ArgumentNullException.ThrowIfNull(call);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception) when (attempt < attempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
    }
}
