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
    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => inner.StopAsync(cancellationToken);

    public Task<ReminderTableData> ReadRows(GrainId grainId) => TranslateAsync(inner.ReadRows(grainId), "read");

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => TranslateAsync(inner.ReadRows(begin, end), "read");

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
