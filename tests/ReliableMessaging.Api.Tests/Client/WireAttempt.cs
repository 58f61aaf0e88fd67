namespace ReliableMessaging.Api.Tests.Client;

/// <summary>One HTTP attempt as it left the client.</summary>
public sealed record WireAttempt(string Method, string Path, string? IdempotencyKey, string? Authorization, TimeSpan At);
