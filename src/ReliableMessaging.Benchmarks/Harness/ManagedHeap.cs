using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>
/// The live managed heap of another .NET process (the silo), read the way dotnet-gcdump does: an
/// EventPipe session with the GCHeapCollect keyword makes the runtime run a full blocking GC, and
/// the bytes that GC promoted (kept) in every generation are exactly what is still reachable. The
/// heap's size would also count free fragments, which say nothing about what an account holds.
/// </summary>
public static class ManagedHeap
{
    private const long GcKeyword = 0x1;
    private const long GcHeapCollectKeyword = 0x800000;

    /// <summary>Bytes reachable on the managed heap (the smallest of <paramref name="samples"/> readings).</summary>
    public static async Task<long> LiveBytesAsync(int processId, int samples = 3)
    {
        var smallest = long.MaxValue;
        for (var i = 0; i < samples; i++)
        {
            smallest = Math.Min(smallest, await ReadOnceAsync(processId));
        }

        return smallest;
    }

    private static async Task<long> ReadOnceAsync(int processId)
    {
        var client = new DiagnosticsClient(processId);
        var providers = new[]
        {
            new EventPipeProvider(ClrTraceEventParser.ProviderName, EventLevel.Informational, GcKeyword | GcHeapCollectKeyword),
        };
        using var session = client.StartEventPipeSession(providers, requestRundown: false);
        var result = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var fullGcStarted = false;
        var reader = Task.Run(() =>
        {
            using var source = new EventPipeEventSource(session.EventStream);
            source.Clr.GCStart += data => fullGcStarted |= data.Depth == 2;
            source.Clr.GCHeapStats += data =>
            {
                // Only the statistics after the full collection describe the live heap.
                if (fullGcStarted)
                {
                    result.TrySetResult(data.TotalPromotedSize0 + data.TotalPromotedSize1 + data.TotalPromotedSize2
                        + data.TotalPromotedSize3 + data.TotalPromotedSize4);
                    source.StopProcessing();
                }
            };
            source.Process();
        });

        var finished = await Task.WhenAny(result.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        await session.StopAsync(CancellationToken.None);
        await reader;
        return finished == result.Task
            ? await result.Task
            : throw new TimeoutException($"Process {processId} reported no full GC within 30 s.");
    }
}
