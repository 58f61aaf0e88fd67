using ReliableMessaging.Contracts.Health;

namespace ReliableMessaging.Silo.Health;

/// <summary>
/// The outcomes of a silo's probes of its database path, kept as the spans a
/// <see cref="DatabasePathReport"/> carries. A span is what the probes prove: "healthy for" runs from
/// the first of an unbroken line of successes to the latest one, not to now. Thread-safe: the monitor
/// records, grains read.
/// </summary>
public sealed class DatabasePathHealth(TimeProvider time)
{
    private readonly Lock _gate = new();
    private long? _healthySince;
    private long? _lastSuccess;
    private long? _failingSince;

    /// <summary>A probe succeeded.</summary>
    public void Succeeded()
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            _failingSince = null;
            _healthySince ??= now;
            _lastSuccess = now;
        }
    }

    /// <summary>A probe failed (or took longer than its timeout).</summary>
    public void Failed()
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            _healthySince = null;
            _failingSince ??= now;
        }
    }

    /// <summary>The spans as of now.</summary>
    public DatabasePathReport Report()
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            return new(
                FromNamedSilo: true,
                HealthyFor: _healthySince is { } since && _lastSuccess is { } last ? time.GetElapsedTime(since, last) : null,
                FailingFor: _failingSince is { } failing ? time.GetElapsedTime(failing, now) : null,
                SinceLastSuccess: _lastSuccess is { } latest ? time.GetElapsedTime(latest, now) : null);
        }
    }
}
