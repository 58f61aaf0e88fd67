using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace ReliableMessaging.Contracts.Hosting;

/// <summary>
/// The one way to read options while a host is being built, before its service container exists.
/// Only for settings that decide what gets registered (cluster TLS on or off, which telemetry
/// exporters) and for commands that run without a host (<c>token</c>). Every other setting is bound
/// with <c>AddOptions&lt;T&gt;().BindConfiguration(section).ValidateOnStart()</c> and read through
/// <c>IOptions&lt;T&gt;</c>. Since start-up validation never sees a value read here, it is
/// validated here, by the same data annotations.
/// </summary>
public static class BuildTimeOptions
{
    /// <summary>
    /// Reads and validates section <paramref name="sectionName"/>. A key the options do not have is an
    /// error (a misspelt <c>Orleans:Tls:CertificatPath</c> would turn TLS off), unless
    /// <paramref name="sectionHoldsOtherSettings"/> (the <c>Orleans</c> section is shared with Orleans'
    /// own options and this project's subsections).
    /// </summary>
    public static T ReadAtBuildTime<T>(this IConfiguration configuration, string sectionName, bool sectionHoldsOtherSettings = false)
        where T : class, new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(sectionName).Get<T>(binder => binder.ErrorOnUnknownConfiguration = !sectionHoldsOtherSettings) ?? new T();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        return options;
    }
}
