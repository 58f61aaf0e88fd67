using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Silo.Storage;

/// <summary>
/// Sits in front of the ADO.NET reminder table, as <see cref="StorageErrorTranslatingGrainStorage"/> sits
/// in front of the grain storage. A transfer registers its reminder before its debit; while PostgreSQL
/// restarts, that registration failed with Npgsql's exception, which does not serialize across the silo
/// boundary: the front end got a codec error and answered 500 to a client whose transfer had simply
/// not started. Database failures (<see cref="DatabaseFailure.IsUnavailable"/>) become a retryable
/// <see cref="AccountStorageException"/>; anything else passes through as it is.
/// </summary>
public sealed class StorageErrorTranslatingReminderTable(IReminderTable inner) : IReminderTable
{
    // The reminder service loads its ring range with a range read; when that fails it reads again only
    // after up to 30 s, and the range's registrations (every transfer start there) wait meanwhile. A
    // pooled connection that died with a restart or a connection kill fails one command: read again
    // soon, a few times, before giving up. Reads change nothing, so repeating them is safe.
    private static readonly TimeSpan[] RangeReadRetries = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)];

    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => inner.StopAsync(cancellationToken);

    public Task<ReminderTableData> ReadRows(GrainId grainId) => TranslateAsync(inner.ReadRows(grainId), "read");

    public async Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        foreach (var delay in RangeReadRetries)
        {
            try
            {
                return await inner.ReadRows(begin, end);
            }
            catch (Exception exception) when (DatabaseFailure.IsUnavailable(exception))
            {
                await Task.Delay(delay);
            }
        }

        return await TranslateAsync(inner.ReadRows(begin, end), "read");
    }

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => TranslateAsync(inner.ReadRow(grainId, reminderName), "read");

    public Task<string?> UpsertRow(ReminderEntry entry) => TranslateAsync(inner.UpsertRow(entry), "written");

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) => TranslateAsync(inner.RemoveRow(grainId, reminderName, eTag), "removed");

    public Task TestOnlyClearTable() => inner.TestOnlyClearTable();

    private static async Task<T> TranslateAsync<T>(Task<T> operation, string verb)
    {
        try
        {
            return await operation;
        }
        catch (Exception exception) when (DatabaseFailure.IsUnavailable(exception))
        {
            throw new AccountStorageException(
                $"A reminder could not be {verb}: {DatabaseFailure.Describe(exception)}. Nothing was debited; retry with the same ID.");
        }
    }
}
