using System.Net.Sockets;
using Npgsql;
using Orleans.Storage;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Silo.Storage;

namespace ReliableMessaging.Tests.Storage;

/// <summary>
/// Which storage failures become "storage unavailable, retry" (503) and which pass through as they
/// are (500): only a database that cannot serve now is retryable; an error that fails the same way
/// every time is not, or clients would retry it forever.
/// </summary>
public sealed class StorageErrorTranslationTests
{
    public static TheoryData<Exception> Outages() =>
    [
        new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)),
        new NpgsqlException("The connection pool has been exhausted", new TimeoutException()),
        new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"),
        new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03"),
        new PostgresException("could not serialize access", "ERROR", "ERROR", "40001"),
        new PostgresException("out of memory", "ERROR", "ERROR", "53200"),
        new TimeoutException("no answer"),
    ];

    public static TheoryData<Exception> Bugs() =>
    [
        new PostgresException("function orleans_storage_write(...) does not exist", "ERROR", "ERROR", "42883"),
        new PostgresException("permission denied for table orleansstorage", "ERROR", "ERROR", "42501"),
        new PostgresException("invalid byte sequence for encoding \"UTF8\": 0x00", "ERROR", "ERROR", "22021"),
        new InvalidOperationException("a serializer defect"),
    ];

    [Theory]
    [MemberData(nameof(Outages))]
    public async Task Write_DatabaseCannotServeNow_StorageUnavailable(Exception failure)
    {
        var storage = new StorageErrorTranslatingGrainStorage(new FailingStorage(failure));

        var error = await Assert.ThrowsAsync<AccountStorageException>(() => storage.WriteStateAsync("state", GrainId.Create("account", "alice"), new GrainState<int>()));

        Assert.False(error.IsConflict);
    }

    [Theory]
    [MemberData(nameof(Bugs))]
    public async Task Write_ErrorThatFailsTheSameWayEveryTime_PassesThroughAsItIs(Exception failure)
    {
        var storage = new StorageErrorTranslatingGrainStorage(new FailingStorage(failure));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => storage.WriteStateAsync("state", GrainId.Create("account", "alice"), new GrainState<int>()));

        Assert.Same(failure, error);
    }

    private sealed class FailingStorage(Exception failure) : IGrainStorage
    {
        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Task.FromException(failure);

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Task.FromException(failure);

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Task.FromException(failure);
    }
}
