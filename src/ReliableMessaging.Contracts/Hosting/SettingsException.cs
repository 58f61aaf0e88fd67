namespace ReliableMessaging.Contracts.Hosting;

/// <summary>
/// A setting that cannot be used (missing, malformed, out of its bounds, or contradicting another),
/// found while a host is built or started: it stops the process with <see cref="StartupFailure.SettingsExitCode"/>.
/// An <see cref="InvalidOperationException"/>, as these failures were before they had their own type.
/// </summary>
public sealed class SettingsException : InvalidOperationException
{
    public SettingsException()
    {
    }

    public SettingsException(string message)
        : base(message)
    {
    }

    public SettingsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
