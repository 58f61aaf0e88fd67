using System.Collections.Concurrent;
using System.Diagnostics;

namespace ReliableMessaging.Api.Tests.Telemetry;

/// <summary>
/// Every span of ASP.NET Core, Orleans and Npgsql that stops in this process while it listens. A span
/// ends when its work is done, which can be after the client has its answer (the server's request
/// span ends once the response is sent): <see cref="WaitAsync"/> waits for each one as it stops.
/// </summary>
internal sealed class StoppedSpans : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly ActivityListener _listener;

    public StoppedSpans()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                || source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) || source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                _stopped.Enqueue(activity);
                try
                {
                    _arrived.Release();
                }
                catch (ObjectDisposedException)
                {
                    // A span of another test stopping on its thread as this listener is disposed: nobody waits any more.
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The spans stopped so far.</summary>
    public IReadOnlyCollection<Activity> All => _stopped;

    public async Task<Activity> WaitAsync(Func<Activity, bool> match, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (_stopped.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                throw new TimeoutException($"No {what} span ended within 10 s.");
            }
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _arrived.Dispose();
    }
}
