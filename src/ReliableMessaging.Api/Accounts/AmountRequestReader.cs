using System.Buffers;
using System.Text.Json;

namespace ReliableMessaging.Api.Accounts;

/// <summary>
/// Reads <c>{"amount": N}</c> with a hard 4 KiB cap, telling apart a body that is too large, not
/// JSON, or JSON without a positive 64-bit integer amount. A duplicated "amount" is refused:
/// two readers of the same body must never see two different amounts.
/// </summary>
public static class AmountRequestReader
{
    public const int MaxBodyBytes = 4096;

    public static async Task<(AmountRequestStatus Status, long Amount, string Detail)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (status, body, detail) = await ReadBoundedAsync(request, cancellationToken);
        return status == AmountRequestStatus.Valid ? Parse(body) : (status, 0, detail);
    }

    /// <summary>Reads the whole body if it is JSON (or untyped) and at most <see cref="MaxBodyBytes"/> long.</summary>
    internal static async Task<(AmountRequestStatus Status, byte[] Body, string Detail)> ReadBoundedAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentType is { } contentType && !IsJson(contentType))
        {
            return (AmountRequestStatus.UnsupportedMediaType, [], $"Content-Type '{contentType}' is not application/json.");
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return (AmountRequestStatus.TooLarge, [], $"The body has {request.ContentLength} bytes; at most {MaxBodyBytes} are accepted.");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxBodyBytes + 1);
        try
        {
            var length = 0;
            int read;
            while (length <= MaxBodyBytes
                   && (read = await request.Body.ReadAsync(buffer.AsMemory(length, MaxBodyBytes + 1 - length), cancellationToken)) > 0)
            {
                length += read;
            }

            return length > MaxBodyBytes
                ? (AmountRequestStatus.TooLarge, [], $"The body is larger than {MaxBodyBytes} bytes.")
                : (AmountRequestStatus.Valid, buffer.AsSpan(0, length).ToArray(), string.Empty);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static (AmountRequestStatus Status, long Amount, string Detail) Parse(ReadOnlySpan<byte> body)
    {
        long? amount = null;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (AmountRequestStatus.InvalidJson, 0, "The body must be a JSON object such as {\"amount\": 1250}.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isAmount = reader.ValueTextEquals("amount"u8) || reader.ValueTextEquals("Amount"u8);
                reader.Read();
                if (!isAmount)
                {
                    reader.Skip();
                    continue;
                }

                if (amount is not null)
                {
                    return (AmountRequestStatus.InvalidJson, 0, "The body names \"amount\" more than once.");
                }

                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
                {
                    return (AmountRequestStatus.InvalidAmount, 0, "\"amount\" must be an integer number of minor units (at most 9223372036854775807).");
                }

                amount = value;
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return (AmountRequestStatus.InvalidJson, 0, "The body must be a single JSON object.");
            }
        }
        catch (JsonException exception)
        {
            return (AmountRequestStatus.InvalidJson, 0, $"The body is not valid JSON: {exception.Message}");
        }

        return amount switch
        {
            null => (AmountRequestStatus.InvalidAmount, 0, "\"amount\" is required."),
            <= 0 => (AmountRequestStatus.InvalidAmount, 0, "\"amount\" must be positive."),
            var positive => (AmountRequestStatus.Valid, positive.Value, string.Empty),
        };
    }

    private static bool IsJson(string contentType)
    {
        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
                && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }
}
