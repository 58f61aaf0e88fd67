using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ReliableMessaging.Deployment.Tests.Tooling;

/// <summary>
/// The proxy the gray-failure tests and the chaos run put on a silo's way to PostgreSQL: it must forward,
/// then hang like a blackholed route (nothing delivered, nothing closed, new connections included), and
/// on heal cut what lived through the hang and forward new connections again.
/// </summary>
public sealed class HangingTcpProxyTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Hang_NothingDeliveredNothingClosed_HealCutsTheHungConnectionsAndForwardsNewOnes()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = HangingTcpProxy.Start(echo.Port);

        using var before = await ConnectAsync(proxy.Port);
        Assert.Equal("a", await RoundTripAsync(before, "a"));

        proxy.Hang();
        Assert.True(proxy.IsHung);
        var (connectionsBefore, bytesBefore) = echo.Received;
        await SendAsync(before, "b");
        var beforeRead = ReadAsync(before);
        using var during = await ConnectAsync(proxy.Port);
        await SendAsync(during, "c");
        var duringRead = ReadAsync(during);
        await Task.Delay(Quiet);
        Assert.False(beforeRead.IsCompleted, "a byte or an end of stream got through the hung proxy on an open connection");
        Assert.False(duringRead.IsCompleted, "a byte or an end of stream got through the hung proxy on a new connection");
        Assert.Equal((connectionsBefore, bytesBefore), echo.Received);

        proxy.Heal();
        Assert.False(proxy.IsHung);
        Assert.Null(await beforeRead.WaitAsync(Generous));
        Assert.Null(await duringRead.WaitAsync(Generous));
        using var after = await ConnectAsync(proxy.Port);
        Assert.Equal("d", await RoundTripAsync(after, "d"));

        // What was sent during the hang never arrives late (a statement reaching PostgreSQL after its
        // caller gave up): only the new connection and its byte reached the server.
        Assert.Equal((connectionsBefore + 1, bytesBefore + 1), echo.Received);
    }

    [Fact]
    public async Task ServerDown_TheProxyRefusesTheConnection()
    {
        await using var proxy = HangingTcpProxy.Start(FreePorts.One());

        using var client = await ConnectAsync(proxy.Port);

        Assert.Null(await ReadAsync(client).WaitAsync(Generous));
    }

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        return client;
    }

    private static async Task SendAsync(TcpClient client, string text) => await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(text));

    private static async Task<string?> RoundTripAsync(TcpClient client, string text)
    {
        await SendAsync(client, text);
        return await ReadAsync(client).WaitAsync(Generous);
    }

    /// <summary>What arrives next; null when the connection ended or was cut.</summary>
    private static async Task<string?> ReadAsync(TcpClient client)
    {
        var buffer = new byte[64];
        try
        {
            var read = await client.GetStream().ReadAsync(buffer);
            return read == 0 ? null : Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>A loopback server that sends back whatever it receives.</summary>
    private sealed class EchoServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<TcpClient> _clients = [];
        private readonly Task _accepting;
        private int _connections;
        private long _bytes;

        private EchoServer()
        {
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        /// <summary>Connections accepted and bytes received so far: what got through the proxy towards the server.</summary>
        public (int Connections, long Bytes) Received => (Volatile.Read(ref _connections), Interlocked.Read(ref _bytes));

        public static EchoServer Start() => new();

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            lock (_clients)
            {
                _clients.ForEach(client => client.Dispose());
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    lock (_clients)
                    {
                        _clients.Add(client);
                    }

                    _ = EchoAsync(client);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Disposed.
            }
        }

        private async Task EchoAsync(TcpClient client)
        {
            var buffer = new byte[1024];
            try
            {
                int read;
                while ((read = await client.GetStream().ReadAsync(buffer, _stop.Token)) > 0)
                {
                    Interlocked.Add(ref _bytes, read);
                    await client.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                }
            }
            catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // The proxy cut it, or the server is being disposed.
            }
        }
    }
}
