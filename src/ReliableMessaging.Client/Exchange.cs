using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Client;

/// <summary>The end of one call's attempts: a final answer, or none (with the last failure).</summary>
internal sealed record Exchange(bool Answered, int StatusCode, string Body, bool Replayed, int Attempts, ApiError? LastError, string LastFailure);
