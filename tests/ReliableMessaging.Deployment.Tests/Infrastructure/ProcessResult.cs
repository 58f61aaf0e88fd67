namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>How a child process ended, with everything it printed (stdout and stderr interleaved).</summary>
public sealed record ProcessResult(int ExitCode, string Output, bool TimedOut);
