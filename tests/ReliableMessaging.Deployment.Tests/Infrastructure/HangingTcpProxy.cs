using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on loopback in front of one port, for a process whose way to a server must hang while
/// everyone else's works. It forwards both ways until <see cref="Hang"/>; from then on it delivers
/// nothing in either direction, on open connections and on new ones alike, and closes nothing: what a
/// blackholed route or a stalled middlebox looks like to both ends. While the server refuses
/// connections (it is down), so does the proxy.
/// </summary>
public sealed class HangingTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _sockets = [];
    private readonly Task _accepting;
    private volatile bool _hung;

    private HangingTcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static HangingTcpProxy Start(int targetPort) => new(targetPort);

    /// <summary>From now on nothing gets through, and nothing is closed.</summary>
    public void Hang() => _hung = true;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        foreach (var socket in _sockets)
        {
            socket.Dispose();
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
                _sockets.Add(client);
                _ = ServeAsync(client);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        if (_hung)
        {
            // Held open, answered never.
            return;
        }

        var upstream = new TcpClient();
        _sockets.Add(upstream);
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            // The server is down (or the proxy is being disposed): refuse, as the server would.
            client.Dispose();
            upstream.Dispose();
            return;
        }

        await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.GetStream().ReadAsync(buffer, _stop.Token);
                if (_hung)
                {
                    // Swallowed: neither the bytes nor an end of stream reach the other side.
                    if (read == 0)
                    {
                        return;
                    }

                    continue;
                }

                if (read == 0)
                {
                    to.Dispose();
                    return;
                }

                await to.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // One side closed or the proxy is being disposed: close the other side too, unless hung.
            if (!_hung)
            {
                from.Dispose();
                to.Dispose();
            }
        }
    }
}
