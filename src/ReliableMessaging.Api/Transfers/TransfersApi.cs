using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using ReliableMessaging.Api.Accounts;
using ReliableMessaging.Api.Hosting;
using ReliableMessaging.Api.Problems;
using ReliableMessaging.Api.Security;
using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Api.Transfers;

/// <summary>
/// Transfers between accounts over HTTP. Like deposits, the Idempotency-Key is the transfer ID and
/// the grains hold the only record: a retry gets the same status code, with Idempotent-Replayed.
/// The body always shows the transfer's current status (a replay may find it completed).
/// </summary>
public static class TransfersApi
{
    public static RouteGroupBuilder MapTransfersApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/transfers")
            .WithTags("Transfers")
            .WithCallerFilters()
            .AddEndpointFilter<GrainCallFailureFilter>()
            .ProducesCommonProblems();

        group.MapPost("/", StartAsync)
            .WithName("StartTransfer")
            .RequireScope(ApiScopes.TransfersWrite)
            .WithSummary("Debits the source and delivers the credit exactly once; 202 with the transfer's status and its Location.")
            .AcceptsJsonBody()
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);

        group.MapGet("/{transferId}", GetAsync)
            .WithName("GetTransfer")
            .RequireScope(ApiScopes.AccountsRead)
            .WithSummary("A transfer's status: pending, completed, refunded or stuck, with its timestamps.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status410Gone);
        return group;
    }

    internal static async Task<Results<Accepted<TransferResponse>, ProblemHttpResult>> StartAsync(
        [FromHeader(Name = IdempotencyKey.HeaderName)] string? idempotencyKey, TransferRequest body, IGrainFactory grains, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(context);
        if (IdempotencyKey.Read(idempotencyKey, out var transferId) is { } keyProblem)
        {
            return keyProblem;
        }

        var (from, to, amount) = body;
        // Moving money out needs the right on the source; the destination needs none (it only receives).
        if (!ApiClaims.MayAccess(context.User, from))
        {
            return ApiProblem.Forbidden.ToResult($"This token is not granted the source account '{from}'.");
        }

        var result = await grains.GetGrain<ITransferGrain>(transferId).Start(from, to, amount);
        if (result.IsReplay)
        {
            context.Response.Headers[IdempotencyKey.ReplayedHeaderName] = "true";
        }

        return result.Status switch
        {
            OperationStatus.Succeeded => TypedResults.Accepted($"/transfers/{transferId}", TransferResponse.FromResult(result)),
            OperationStatus.InsufficientFunds => ApiProblem.InsufficientFunds.ToResult(
                $"Account '{from}' does not cover a transfer of {amount}.",
                new Dictionary<string, object?> { ["transferId"] = transferId, ["from"] = from, ["to"] = to, ["amount"] = amount }),
            OperationStatus.AccountNotFound => ApiProblem.AccountNotFound.ToResult($"The source account '{from}' does not exist."),
            OperationStatus.OperationIdReused => ApiProblem.IdempotencyKeyReused.ToResult(
                $"Transfer ID {transferId} was already used with other accounts or another amount.",
                new Dictionary<string, object?> { ["transferId"] = transferId }),
            OperationStatus.TooManyPendingTransfers => TooMany(context.Response, from),
            OperationStatus.OperationExpired => ApiProblem.IdempotencyKeyExpired.ToResult(
                $"Transfer ID {transferId} is older than account '{from}' still remembers: this request was not executed, and whether an earlier one with this ID was can no longer be verified here."),
            OperationStatus.OperationIdFromFuture or OperationStatus.InvalidOperationId => ApiProblem.IdempotencyKeyMalformed.ToResult(
                $"{IdempotencyKey.HeaderName} must be a UUID version 7 whose timestamp is not in the future."),
            OperationStatus.InvalidAmount => ApiProblem.InvalidAmount.ToResult($"The amount {amount} is not valid."),
            OperationStatus.TransferToSelf => ApiProblem.InvalidRequest.ToResult("A transfer needs two different accounts."),
            OperationStatus.InvalidAccountId => ApiProblem.InvalidAccountId.ToResult($"\"from\" and \"to\" must be account IDs: {AccountIdFormat.Description}."),
        };
    }

    internal static async Task<Results<Ok<TransferResponse>, ProblemHttpResult>> GetAsync(string transferId, IGrainFactory grains, HttpResponse response)
    {
        if (!Uuid7.TryParse(transferId, out var id))
        {
            return ApiProblem.IdempotencyKeyMalformed.ToResult("The transfer ID must be a UUID version 7.");
        }

        var lookup = await grains.GetGrain<ITransferGrain>(id).GetStatus();

        // A token limited to some accounts sees only transfers from or to them; any other answers
        // exactly like an unknown ID, so a transfer ID learned elsewhere reveals nothing: also when
        // it is only received (unconfirmed) or expired, whose accounts are those it was received for.
        // (An unknown ID names no account and is answered as it is.)
        var user = response.HttpContext.User;
        var (from, to) = lookup.Transfer is { } seen ? (seen.From, seen.To) : (lookup.Source, lookup.Destination);
        if (ApiClaims.GrantedAccounts(user) is not null
            && from is not null && !(ApiClaims.MayAccess(user, from) || (to is not null && ApiClaims.MayAccess(user, to))))
        {
            return ApiProblem.TransferNotFound.ToResult($"No transfer was accepted with ID {id}.");
        }

        return lookup.Status switch
        {
            // A transfer refused for insufficient funds is recorded, but it was never accepted.
            // Why it was refused is the payer's business: a payee's token reads it like an unknown ID.
            TransferLookupStatus.Found when lookup.Transfer is { State: null } => ApiProblem.TransferNotFound.ToResult(
                ApiClaims.MayAccess(user, lookup.Transfer.From)
                    ? $"Transfer {id} was refused ({OperationResponse.StatusName(lookup.Transfer.Status)}); no transfer was accepted with this ID."
                    : $"No transfer was accepted with ID {id}."),
            TransferLookupStatus.Found => TypedResults.Ok(TransferResponse.FromResult(lookup.Transfer!)),
            TransferLookupStatus.Expired => ApiProblem.OperationExpired.ToResult($"Transfer {id} is older than its source account still remembers."),
            TransferLookupStatus.Unconfirmed => NotConfirmed(response, id),
            TransferLookupStatus.Unknown => ApiProblem.TransferNotFound.ToResult($"No transfer was accepted with ID {id}."),
        };
    }

    private static ProblemHttpResult NotConfirmed(HttpResponse response, Guid id)
    {
        // Never "not accepted" for a transfer that may still commit: repeating the start settles it.
        response.Headers.RetryAfter = "1";
        return ApiProblem.TransferNotConfirmed.ToResult(
            $"Transfer {id} was received, but its source has not confirmed the debit yet: it may still commit. " +
            $"Repeat POST /transfers with the same {IdempotencyKey.HeaderName} and body to settle it; never start it again under another key.",
            new Dictionary<string, object?> { ["transferId"] = id });
    }

    private static ProblemHttpResult TooMany(HttpResponse response, string from)
    {
        response.Headers.RetryAfter = "1";
        return ApiProblem.TooManyPendingTransfers.ToResult($"Account '{from}' has the maximum number of transfers in delivery. Retry later with the same {IdempotencyKey.HeaderName}.");
    }
}
