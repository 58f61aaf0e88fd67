using System.Text;
using ReliableMessaging.Api.Accounts;
using ReliableMessaging.Api.Problems;

namespace ReliableMessaging.Api.Hosting;

/// <summary>The OpenAPI document's description: idempotency rules and the problem codes.</summary>
internal static class OpenApiDescription
{
    public static string Text { get; } = Build();

    private static string Build()
    {
        var text = new StringBuilder();
        text.AppendLine("Exactly-once deposits and withdrawals. Every POST carries an `" + IdempotencyKey.HeaderName + "` header holding a UUID version 7 ");
        text.AppendLine("(bare, or as a structured-field string). A retry with the same key and body of an operation that ran gets the same status and body ");
        text.AppendLine("as the first answer (a recorded insufficient-funds too; a transfer's 202 shows its current status), plus `" + IdempotencyKey.ReplayedHeaderName + ": true`. ");
        text.AppendLine("A refusal that executed nothing and is not recorded (account-not-found, invalid-amount, storage-unavailable, ...) is decided again on a retry. ");
        text.AppendLine("Amounts are integers in minor units. Request bodies are limited to " + RequestBinding.MaxBodyBytes + " bytes.");
        text.AppendLine();
        text.AppendLine("Errors are RFC 9457 problem details whose `type` is `" + ApiProblem.TypePrefix + "<code>`:");
        text.AppendLine();
        text.AppendLine("| code | status | title |");
        text.AppendLine("|---|---|---|");
        foreach (var problem in ApiProblem.All)
        {
            text.AppendLine($"| `{problem.Code}` | {problem.Status} | {problem.Title} |");
        }

        return text.ToString();
    }
}
