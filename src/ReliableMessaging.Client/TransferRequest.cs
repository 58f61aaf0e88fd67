using System.Globalization;
using System.Text.Json;

namespace ReliableMessaging.Client;

/// <summary>One transfer as the caller means it; <see cref="TransferId"/> is its Idempotency-Key, kept across every retry.</summary>
/// <param name="TransferId">A UUIDv7, made once per logical transfer.</param>
/// <param name="From">The account debited.</param>
/// <param name="To">The account credited.</param>
/// <param name="Amount">Positive, in minor units.</param>
public sealed record TransferRequest(Guid TransferId, string From, string To, long Amount)
{
    /// <summary>A transfer under a fresh key.</summary>
    public static TransferRequest Create(string from, string to, long amount) => new(Guid.CreateVersion7(), from, to, amount);

    internal string Body => string.Create(CultureInfo.InvariantCulture,
        $"{{\"from\":{JsonSerializer.Serialize(From)},\"to\":{JsonSerializer.Serialize(To)},\"amount\":{Amount}}}");
}
