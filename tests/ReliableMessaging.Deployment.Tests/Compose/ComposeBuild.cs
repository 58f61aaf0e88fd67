namespace ReliableMessaging.Deployment.Tests.Compose;

/// <summary>A service's <c>build:</c> section.</summary>
/// <param name="Context">The build context, relative to the compose file.</param>
/// <param name="Dockerfile">The Dockerfile, relative to the context.</param>
public sealed record ComposeBuild(string Context, string Dockerfile);
