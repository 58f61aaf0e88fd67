namespace ReliableMessaging.Api.Security;

/// <summary>Endpoint metadata naming the scope an endpoint needs (for the OpenAPI document and tests).</summary>
public sealed record RequiredScope(string Scope);
