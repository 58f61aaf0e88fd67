using System.Diagnostics;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers each issue the next operation as soon as the previous
/// one answers. A warm-up is run and discarded, then operations are counted and their latencies
/// recorded for a fixed time.
/// </summary>
public static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(int concurrency, TimeSpan warmup, TimeSpan duration, Func<int, long, Task> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var measuring = false;
        var stop = false;
        var latencies = new List<double>[concurrency];
        var errors = new long[concurrency];
        var counter = 0L;

        async Task WorkerAsync(int worker)
        {
            var mine = latencies[worker] = new List<double>(4096);
            while (!Volatile.Read(ref stop))
            {
                var sequence = Interlocked.Increment(ref counter);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await operation(worker, sequence);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    if (Volatile.Read(ref measuring))
                    {
                        errors[worker]++;
                    }

                    continue;
                }

                if (Volatile.Read(ref measuring))
                {
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
        }

        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(() => WorkerAsync(w))).ToArray();
        await Task.Delay(warmup);
        var cpuBefore = CpuSampler.Sample();
        Volatile.Write(ref measuring, true);
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        Volatile.Write(ref measuring, false);
        var elapsed = clock.Elapsed;
        var cpuAfter = CpuSampler.Sample();
        Volatile.Write(ref stop, true);
        await Task.WhenAll(workers);

        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new LoadResult(concurrency, all.Length, errors.Sum(), elapsed, Latencies.Percentile(all, 0.50), Latencies.Percentile(all, 0.99))
        {
            Cpu = CpuSampler.PerOperation(cpuBefore, cpuAfter, all.Length, elapsed),
        };
    }
}
