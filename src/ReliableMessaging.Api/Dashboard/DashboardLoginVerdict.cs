namespace ReliableMessaging.Api.Dashboard;

/// <summary>What the dashboard's throttle decided about one login attempt.</summary>
internal enum DashboardLoginVerdict
{
    /// <summary>The credentials were checked and are right.</summary>
    Accepted,

    /// <summary>The credentials were checked and are wrong; the attempt counted as a failure.</summary>
    Refused,

    /// <summary>The peer had used up its failures for the window: the credentials were not checked.</summary>
    LockedOut,
}
