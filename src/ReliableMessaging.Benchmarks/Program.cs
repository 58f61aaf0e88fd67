using ReliableMessaging.Benchmarks;
using ReliableMessaging.Tooling;

return await BenchmarkCommandLine.InvokeAsync(args, RunAsync, Console.Out, Console.Error);

static async Task<int> RunAsync(BenchmarkSettings settings, CancellationToken cancellationToken)
{
    var report = await new BenchmarkRun(RepositoryPaths.Root, settings).RunAsync();
    Console.WriteLine();
    Console.WriteLine(report);
    if (settings.OutputFile is { } output)
    {
        await File.WriteAllTextAsync(output, report, cancellationToken);
        Console.WriteLine($"Written to {output}");
    }

    return 0;
}
