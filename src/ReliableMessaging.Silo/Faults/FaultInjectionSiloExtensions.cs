using Microsoft.Extensions.Options;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Silo.Faults;

/// <summary>Wires the <c>Faults</c> settings (tests and chaos runs only) into a silo.</summary>
public static class FaultInjectionSiloExtensions
{
    /// <summary>
    /// With <c>Faults:ClockOffset</c> set, the silo's <see cref="TimeProvider"/> (what grains and Orleans
    /// read as "now") is the system clock shifted by it, replacing any clock registered before; unset or
    /// zero, nothing is registered. An offset not shorter than <c>Accounts:MaxClockSkew</c> fails the start.
    /// </summary>
    public static ISiloBuilder AddFaultInjection(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var services = silo.Services;
        services.AddOptions<FaultOptions>()
            .BindConfiguration(FaultOptions.SectionName)
            .Validate<IOptions<AccountOptions>>(
                (faults, accounts) => faults.ClockOffsetWithin(accounts.Value.MaxClockSkew),
                $"{FaultOptions.SectionName}:{nameof(FaultOptions.ClockOffset)} must be shorter than {AccountOptions.SectionName}:{nameof(AccountOptions.MaxClockSkew)}: the accounts tolerate no more skew than that between silos.")
            .ValidateOnStart();

        // Decided at wiring time, so a silo without the setting keeps whatever clock it was given.
        var offset = silo.Configuration.ReadAtBuildTime<FaultOptions>(FaultOptions.SectionName).ClockOffset;
        if (offset is { } shift && shift != TimeSpan.Zero)
        {
            services.AddSingleton<TimeProvider>(new OffsetTimeProvider(TimeProvider.System, shift));
            services.AddHostedService<ClockOffsetWarning>();
        }

        return silo;
    }
}
