using ReliableMessaging.Benchmarks;
using ReliableMessaging.Tooling;

// Ctrl-C or SIGTERM stops what the run started instead of killing the process and leaving it behind.
using var interrupt = new InterruptSignals();

return await BenchmarkCommandLine.InvokeAsync(args, RunAsync, Console.Out, Console.Error, interrupt.Token);

static async Task<int> RunAsync(BenchmarkSettings settings, CancellationToken cancellationToken)
{
    var run = new BenchmarkRun(RepositoryPaths.Root, settings);
    var running = run.RunAsync();

    // A step is not stopped halfway: an interrupted run stops its silos and its PostgreSQL (a scratch
    // server in its own session, which no Ctrl-C reaches), so that nothing outlives it.
    await Task.WhenAny(running, Task.Delay(Timeout.Infinite, cancellationToken));
    if (!running.IsCompleted)
    {
        Console.Error.WriteLine("Interrupted: stopping the benchmark's processes and its PostgreSQL.");
        await run.AbortAsync();
        return 130;
    }

    var report = await running;
    Console.WriteLine();
    Console.WriteLine(report);
    if (settings.OutputFile is { } output)
    {
        await File.WriteAllTextAsync(output, report, cancellationToken);
        Console.WriteLine($"Written to {output}");
    }

    return 0;
}
