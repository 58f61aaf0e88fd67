using ReliableMessaging.Benchmarks;

return await BenchmarkCommandLine.InvokeAsync(args, RunAsync, Console.Out, Console.Error);

static async Task<int> RunAsync(BenchmarkSettings settings, CancellationToken cancellationToken)
{
    var root = Directory.GetCurrentDirectory();
    var report = await new BenchmarkRun(root, settings).RunAsync();
    Console.WriteLine();
    Console.WriteLine(report);
    if (settings.OutputFile is { } output)
    {
        await File.WriteAllTextAsync(output, report, cancellationToken);
        Console.WriteLine($"Written to {output}");
    }

    return 0;
}
