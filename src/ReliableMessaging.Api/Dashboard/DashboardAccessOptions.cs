using System.ComponentModel.DataAnnotations;

namespace ReliableMessaging.Api.Dashboard;

/// <summary>
/// Who may open the Orleans Dashboard (section <c>Dashboard</c>). The dashboard shows cluster
/// internals, so it is only mapped when a password is configured.
/// </summary>
public sealed class DashboardAccessOptions
{
    public const string SectionName = "Dashboard";

    public const string RoutePrefix = "/dashboard";

    [Required]
    public string Username { get; set; } = "operator";

    /// <summary>Empty: the dashboard is not served at all.</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>
    /// Refuse Basic credentials that arrive over plain HTTP from another host: they travel in clear.
    /// Loopback peers are always accepted. Turn off only where a trusted hop makes local traffic look
    /// remote (docker-compose publishes the port on the host's loopback only).
    /// </summary>
    public bool RequireHttps { get; set; } = true;

    public bool IsEnabled => !string.IsNullOrEmpty(Password);
}
