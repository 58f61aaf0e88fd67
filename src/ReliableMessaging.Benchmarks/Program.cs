using ReliableMessaging.Benchmarks;

var settings = BenchmarkSettings.Parse(args);
var root = Directory.GetCurrentDirectory();
var report = await new BenchmarkRun(root, settings).RunAsync();
Console.WriteLine();
Console.WriteLine(report);
if (settings.OutputFile is { } output)
{
    await File.WriteAllTextAsync(output, report);
    Console.WriteLine($"Written to {output}");
}
