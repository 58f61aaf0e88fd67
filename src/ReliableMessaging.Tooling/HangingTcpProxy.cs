using System.Net;
using System.Net.Sockets;

namespace ReliableMessaging.Tooling;

/// <summary>
/// A TCP proxy on loopback in front of one port, for a process whose way to a server must hang while
/// everyone else's works. It forwards both ways until <see cref="Hang"/>; from then on it delivers
/// nothing in either direction, on open connections and on new ones alike, and closes nothing: what a
/// blackholed route or a stalled middlebox looks like to both ends. <see cref="Heal"/> cuts every
/// connection that lived through the hang (bytes were swallowed: none of them can go on) and forwards
/// new ones again, as a route that comes back. While the server refuses connections (it is down), so
/// does the proxy.
/// </summary>
public sealed class HangingTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly HashSet<TcpClient> _sockets = [];
    private readonly Task _accepting;
    private volatile bool _hung;

    private HangingTcpProxy(int listenPort, int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, listenPort);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The port it listens on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>True from <see cref="Hang"/> until <see cref="Heal"/>.</summary>
    public bool IsHung => _hung;

    /// <summary>A proxy to <paramref name="targetPort"/> on loopback, listening on <paramref name="listenPort"/> (0: any free port).</summary>
    public static HangingTcpProxy Start(int targetPort, int listenPort = 0) => new(listenPort, targetPort);

    /// <summary>
    /// From now on nothing gets through, and nothing is closed. (A chunk a pump read just before may
    /// still be delivered: a route that fails mid-packet does the same.)
    /// </summary>
    public void Hang() => _hung = true;

    /// <summary>Cuts every open connection and forwards new ones again.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }

            _sockets.Clear();
            _hung = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_gate)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }

            _sockets.Clear();
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Disposed.
            }
            catch (SocketException)
            {
                // One failed accept (out of descriptors, a connection reset while queued) must not end
                // the proxy quietly: every later connection would wait in the backlog, an unplanned hang.
                await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        // Tracked and checked under the gate, so that a heal either cuts it or lets it through.
        lock (_gate)
        {
            _sockets.Add(client);
            if (_hung)
            {
                // Held open, answered never.
                return;
            }
        }

        var upstream = new TcpClient();
        Track(upstream);
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The server is down (or the proxy is being disposed or healed): refuse, as the server would.
            Forget(client);
            Forget(upstream);
            return;
        }

        await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
        Forget(client);
        Forget(upstream);
    }

    private void Track(TcpClient socket)
    {
        lock (_gate)
        {
            _sockets.Add(socket);
        }
    }

    private void Forget(TcpClient socket)
    {
        lock (_gate)
        {
            _sockets.Remove(socket);
        }

        socket.Dispose();
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
            // One side closed, or the proxy is being disposed or healed: close the other side too, unless hung.
            if (!_hung)
            {
                from.Dispose();
                to.Dispose();
            }
        }
    }
}
