namespace ReliableMessaging.Tooling;

/// <summary>
/// How a child process ended and what it printed: each stream on its own, and both interleaved in
/// the order the lines arrived (<see cref="Output"/>).
/// </summary>
public sealed record ProcessResult(string Command, int ExitCode, string StandardOutput, string StandardError, string Output, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>This result if the command exited with 0 in time; otherwise an exception that says how it ended and what it printed.</summary>
    public ProcessResult EnsureSucceeded() => Succeeded
        ? this
        : throw new InvalidOperationException(TimedOut
            ? $"{Command} did not finish in time and was killed:\n{Output}"
            : $"{Command} exited with {ExitCode}:\n{Output}");
}
