using System.Text.Json;
using ReliableMessaging.Api.Accounts;

namespace ReliableMessaging.Api.Transfers;

/// <summary>Reads <c>{"from","to","amount"}</c> with the same limits and strictness as deposits.</summary>
public static class TransferRequestReader
{
    public static async Task<(AmountRequestStatus Status, TransferRequest? Request, string Detail)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (status, body, detail) = await AmountRequestReader.ReadBoundedAsync(request, cancellationToken);
        return status == AmountRequestStatus.Valid ? Parse(body) : (status, null, detail);
    }

    internal static (AmountRequestStatus Status, TransferRequest? Request, string Detail) Parse(byte[] body)
    {
        string? from = null, to = null;
        long? amount = null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (AmountRequestStatus.InvalidJson, null, "The body must be a JSON object such as {\"from\": \"alice\", \"to\": \"bob\", \"amount\": 1250}.");
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    return (AmountRequestStatus.InvalidJson, null, $"The body names \"{property.Name}\" more than once.");
                }

                switch (property.Name.ToUpperInvariant())
                {
                    case "FROM" when property.Value.ValueKind == JsonValueKind.String:
                        from = property.Value.GetString();
                        break;
                    case "TO" when property.Value.ValueKind == JsonValueKind.String:
                        to = property.Value.GetString();
                        break;
                    case "FROM" or "TO":
                        return (AmountRequestStatus.InvalidJson, null, $"\"{property.Name}\" must be a string account ID.");
                    case "AMOUNT" when property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt64(out var value):
                        amount = value;
                        break;
                    case "AMOUNT":
                        return (AmountRequestStatus.InvalidAmount, null, "\"amount\" must be an integer number of minor units.");
                }
            }
        }
        catch (JsonException exception)
        {
            return (AmountRequestStatus.InvalidJson, null, $"The body is not valid JSON: {exception.Message}");
        }

        if (from is null || to is null)
        {
            return (AmountRequestStatus.InvalidJson, null, "\"from\" and \"to\" are required.");
        }

        return amount switch
        {
            null => (AmountRequestStatus.InvalidAmount, null, "\"amount\" is required."),
            <= 0 => (AmountRequestStatus.InvalidAmount, null, "\"amount\" must be positive."),
            var positive => (AmountRequestStatus.Valid, new TransferRequest(from, to, positive.Value), string.Empty),
        };
    }
}
