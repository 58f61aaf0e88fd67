using Npgsql;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Storage;

/// <summary>
/// The project's own <c>orleans_storage_write</c> (silo-config/sql/20-persistence.sql) against a real
/// PostgreSQL: the optimistic-concurrency contract the ADO.NET provider relies on, for grains whose
/// key has a string extension (accounts) and grains whose key has none (transfers).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class GrainStorageWriteTests(ClusterFixture fixture)
{
    private readonly string _serviceId = $"storage-{Guid.NewGuid():N}";

    [Theory]
    [InlineData("acct-7")]
    [InlineData(null)]
    public async Task Write_ExpectedVersion_MovesOnOnceAndRefusesTheStaleWriter(string? extension)
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);

        Assert.Equal(1, await WriteAsync(dataSource, extension, expectedVersion: null, payload: [1]));
        Assert.Null(await WriteAsync(dataSource, extension, expectedVersion: null, payload: [9]));
        Assert.Equal(2, await WriteAsync(dataSource, extension, expectedVersion: 1, payload: [2]));
        Assert.Null(await WriteAsync(dataSource, extension, expectedVersion: 1, payload: [9]));
        Assert.Equal(3, await WriteAsync(dataSource, extension, expectedVersion: 2, payload: [3]));

        await AssertStoredAsync(dataSource, extension, [3], 3);
    }

    [Fact]
    public async Task Write_SameIdentityWithAndWithoutExtension_AreTwoGrainsEachWrittenAlone()
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        Assert.Equal(1, await WriteAsync(dataSource, "acct-7", expectedVersion: null, payload: [1]));
        Assert.Equal(1, await WriteAsync(dataSource, null, expectedVersion: null, payload: [5]));

        // Each write names a version the other row has too: only its own row may move.
        Assert.Equal(2, await WriteAsync(dataSource, "acct-7", expectedVersion: 1, payload: [2]));
        await AssertStoredAsync(dataSource, null, [5], 1);

        Assert.Equal(2, await WriteAsync(dataSource, null, expectedVersion: 1, payload: [6]));
        await AssertStoredAsync(dataSource, "acct-7", [2], 2);
        await AssertStoredAsync(dataSource, null, [6], 2);
    }

    private async Task<int?> WriteAsync(NpgsqlDataSource dataSource, string? extension, int? expectedVersion, byte[] payload)
    {
        await using var command = dataSource.CreateCommand("SELECT orleans_storage_write($1, $2, $3, $4, $5, $6, $7, $8, $9)");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 42 });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = 7 });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = 0 });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 3 });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "test-grain" });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)extension ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)expectedVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = payload });
        var result = await command.ExecuteScalarAsync();
        return result is DBNull ? null : (int?)result;
    }

    private async Task AssertStoredAsync(NpgsqlDataSource dataSource, string? extension, byte[] payload, int version)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT payloadbinary, version FROM orleansstorage WHERE serviceid = $1 AND grainidextensionstring IS NOT DISTINCT FROM $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)extension ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(payload, (byte[])reader[0]);
        Assert.Equal(version, reader.GetInt32(1));
        Assert.False(await reader.ReadAsync());
    }
}
