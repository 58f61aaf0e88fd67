using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using ReliableMessaging.Api.Hosting;
using ReliableMessaging.Api.Problems;
using ReliableMessaging.Api.Security;
using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Api.Accounts;

/// <summary>
/// Accounts over HTTP. Holds no idempotency state: the account grain's record is the single source
/// of truth, so a retry that reaches another front-end instance gets the same answer.
/// </summary>
public static class AccountsApi
{
    /// <summary>The statement page size when the request names none.</summary>
    public const int DefaultStatementPage = 100;

    public static RouteGroupBuilder MapAccountsApi(this IEndpointRouteBuilder routes)
    {
        // Every endpoint here has {accountId}: the account check applies to all, present and future.
        var group = routes.MapGroup("/accounts")
            .WithTags("Accounts")
            .WithCallerFilters()
            .AddSharedFilter<AccountAccessFilter>()
            .AddEndpointFilter<GrainCallFailureFilter>()
            .ProducesCommonProblems();

        group.MapPut("/{accountId}", OpenAsync)
            .WithName("OpenAccount")
            .RequireScope(ApiScopes.AccountsOpen)
            .WithSummary("Opens an account (idempotent): 201 the first time, 200 when already open.");

        group.MapGet("/{accountId}", GetAsync)
            .WithName("GetAccount")
            .RequireScope(ApiScopes.AccountsRead)
            .WithSummary("The account's committed balance and version.")
            .ProducesProblems(StatusCodes.Status404NotFound);

        MapOperation(group, OperationKind.Deposit, "/{accountId}/deposits", "Deposit",
            "Credits an amount once per Idempotency-Key; a retry replays the first answer with Idempotent-Replayed: true.");
        MapOperation(group, OperationKind.Withdrawal, "/{accountId}/withdrawals", "Withdraw",
            "Debits an amount once per Idempotency-Key if the balance covers it; a retry replays the first answer, refusals included.");

        group.MapGet("/{accountId}/operations", GetStatementAsync)
            .WithName("GetStatement")
            .RequireScope(ApiScopes.AccountsRead)
            .WithSummary("The account's statement: every operation in order of execution, complete across the window and the journal, with keyset pagination (after = the last sequence seen).")
            .ProducesProblems(StatusCodes.Status404NotFound);

        group.MapGet("/{accountId}/operations/{operationId}", GetOperationAsync)
            .WithName("GetOperation")
            .RequireScope(ApiScopes.AccountsRead)
            .WithSummary("The recorded outcome of one operation: 404 when unknown, 410 when too old to verify.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status410Gone);

        return group;
    }

    /// <summary>A deposit or a withdrawal: the same body, key and answers, another grain call.</summary>
    private static void MapOperation(RouteGroupBuilder group, OperationKind kind, string pattern, string name, string summary) =>
        group.MapPost(pattern, (
                string accountId,
                [FromHeader(Name = IdempotencyKey.HeaderName)] string? idempotencyKey,
                AmountRequest body,
                IGrainFactory grains,
                HttpResponse response) => PostOperationAsync(kind, accountId, idempotencyKey, body, grains, response))
            .WithName(name)
            .RequireScope(ApiScopes.AccountsWrite)
            .WithSummary(summary)
            .AcceptsJsonBody()
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);

    internal static async Task<Results<Created<AccountResponse>, Ok<AccountResponse>, ProblemHttpResult>> OpenAsync(string accountId, IGrainFactory grains)
    {
        if (!AccountIdFormat.IsValid(accountId))
        {
            return InvalidAccountId(accountId);
        }

        var result = await grains.GetGrain<IAccountGrain>(accountId).Open();
        var body = new AccountResponse(accountId, result.Balance, result.Version);
        return result.Status switch
        {
            OpenAccountStatus.Opened => TypedResults.Created($"/accounts/{accountId}", body),
            OpenAccountStatus.AlreadyOpen => TypedResults.Ok(body),
            OpenAccountStatus.InvalidAccountId => InvalidAccountId(accountId),
        };
    }

    internal static async Task<Results<Ok<AccountResponse>, ProblemHttpResult>> GetAsync(string accountId, IGrainFactory grains)
    {
        if (!AccountIdFormat.IsValid(accountId))
        {
            return InvalidAccountId(accountId);
        }

        var snapshot = await grains.GetGrain<IAccountGrain>(accountId).GetSnapshot();
        return snapshot.Status switch
        {
            AccountStatus.Open => TypedResults.Ok(new AccountResponse(accountId, snapshot.Balance, snapshot.Version)),
            AccountStatus.NotFound => AccountNotFound(accountId),
            AccountStatus.InvalidAccountId => InvalidAccountId(accountId),
        };
    }

    internal static async Task<Results<Ok<OperationResponse>, ProblemHttpResult>> PostOperationAsync(
        OperationKind kind, string accountId, string? idempotencyKey, AmountRequest body, IGrainFactory grains, HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(response);
        if (!AccountIdFormat.IsValid(accountId))
        {
            return InvalidAccountId(accountId);
        }

        if (IdempotencyKey.Read(idempotencyKey, out var operationId) is { } keyProblem)
        {
            return keyProblem;
        }

        var amount = body.Amount;
        var account = grains.GetGrain<IAccountGrain>(accountId);
        var result = await (kind switch
        {
            OperationKind.Deposit => account.Deposit(operationId, amount),
            OperationKind.Withdrawal => account.Withdraw(operationId, amount),
            OperationKind.TransferOut or OperationKind.TransferIn or OperationKind.TransferRefund or OperationKind.TransferFinished =>
                throw new UnreachableException($"{kind} is not sent to an account directly: transfers have their own endpoint."),
        });

        if (result.IsReplay)
        {
            response.Headers[IdempotencyKey.ReplayedHeaderName] = "true";
        }

        return result.Status switch
        {
            OperationStatus.Succeeded => TypedResults.Ok(OperationResponse.From(accountId, result)),
            OperationStatus.InsufficientFunds => ApiProblem.InsufficientFunds.ToResult(
                $"The balance of {result.BalanceAfter} does not cover a withdrawal of {result.Amount}.",
                OperationExtensions(accountId, result)),
            OperationStatus.AccountNotFound => AccountNotFound(accountId),
            OperationStatus.InvalidAmount => ApiProblem.InvalidAmount.ToResult(
                kind == OperationKind.Deposit
                    ? $"A deposit of {amount} would overflow the balance."
                    : $"The amount {amount} is not valid."),
            OperationStatus.OperationIdReused => ApiProblem.IdempotencyKeyReused.ToResult(
                $"{IdempotencyKey.HeaderName} {operationId} was already used on account '{accountId}' for another operation or amount. Use a fresh key for a new operation.",
                new Dictionary<string, object?> { ["operationId"] = operationId }),
            OperationStatus.OperationExpired => ApiProblem.IdempotencyKeyExpired.ToResult(
                $"{IdempotencyKey.HeaderName} {operationId} is older than what account '{accountId}' still remembers: this request was not executed, and whether an earlier one with this key ran can no longer be verified here. Look it up at /accounts/{accountId}/operations/{operationId} or reconcile.",
                new Dictionary<string, object?> { ["operationId"] = operationId }),
            OperationStatus.OperationIdFromFuture => ApiProblem.IdempotencyKeyMalformed.ToResult(
                $"The timestamp in {IdempotencyKey.HeaderName} {operationId} is further in the future than the allowed clock skew; check the client's clock."),
            OperationStatus.InvalidOperationId => ApiProblem.IdempotencyKeyMalformed.ToResult(
                $"{IdempotencyKey.HeaderName} must be a UUID version 7."),
            OperationStatus.InvalidAccountId => InvalidAccountId(accountId),
            OperationStatus.TooManyPendingTransfers or OperationStatus.TransferToSelf =>
                throw new UnreachableException($"A {kind} was answered with the transfer refusal {result.Status}."),
        };
    }

    internal static async Task<Results<Ok<OperationResponse>, ProblemHttpResult>> GetOperationAsync(string accountId, string operationId, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!AccountIdFormat.IsValid(accountId))
        {
            return InvalidAccountId(accountId);
        }

        // Statements also list the IDs accounts derive for their own records (a transfer's credit, refund, end).
        if (!Contracts.Uuid7.TryParseRecorded(operationId, out var id))
        {
            return ApiProblem.IdempotencyKeyMalformed.ToResult("The operation ID must be a UUID version 7 (or an ID from the account's statement).");
        }

        var lookup = await grains.GetGrain<IAccountGrain>(accountId).GetOperation(id);
        return lookup.Status switch
        {
            OperationLookupStatus.Found => TypedResults.Ok(OperationResponse.From(accountId, lookup.Operation!) with
            {
                IssuedBy = IssuerVisibility.ShownTo(user, lookup.Operation!.Kind, lookup.IssuedBy),
            }),
            OperationLookupStatus.Unknown => ApiProblem.OperationNotFound.ToResult(
                $"Account '{accountId}' has no record of operation {id}: it has not run. Sending it with this ID runs it at most once, even if an earlier attempt is still on its way."),
            OperationLookupStatus.Expired => ApiProblem.OperationExpired.ToResult(
                $"Operation {id} is older than what account '{accountId}' still remembers: whether it ran can no longer be verified here."),
            OperationLookupStatus.AccountNotFound => AccountNotFound(accountId),
            OperationLookupStatus.InvalidOperationId => ApiProblem.IdempotencyKeyMalformed.ToResult(
                "The operation ID must be a UUID version 7, and no further ahead of the service's clock than it allows."),
            OperationLookupStatus.InvalidAccountId => InvalidAccountId(accountId),
        };
    }

    internal static async Task<Results<Ok<StatementResponse>, ProblemHttpResult>> GetStatementAsync(
        string accountId, IGrainFactory grains, ClaimsPrincipal user, long? after = null, int? limit = null)
    {
        if (!AccountIdFormat.IsValid(accountId))
        {
            return InvalidAccountId(accountId);
        }

        if (after is < 0)
        {
            return ApiProblem.InvalidRequest.ToResult("'after' must be a sequence number (0 or more) from a previous page.");
        }

        if (limit is < 1 or > IAccountGrain.MaxStatementPage)
        {
            return ApiProblem.InvalidRequest.ToResult($"'limit' must be between 1 and {IAccountGrain.MaxStatementPage}.");
        }

        var pageSize = limit ?? DefaultStatementPage;
        var page = await grains.GetGrain<IAccountGrain>(accountId).GetStatement(after ?? 0, pageSize);
        return page.Status switch
        {
            AccountStatus.Open => TypedResults.Ok(new StatementResponse(
                accountId,
                page.Balance,
                page.LastSequence,
                page.Entries.Select(entry => StatementEntryResponse.From(entry, user)).ToList(),
                page.NextAfter is { } next ? $"/accounts/{accountId}/operations?after={next}&limit={pageSize}" : null,
                page.PrunedRecords,
                page.PrunedEffect)),
            AccountStatus.NotFound => AccountNotFound(accountId),
            AccountStatus.InvalidAccountId => InvalidAccountId(accountId),
        };
    }

    private static Dictionary<string, object?> OperationExtensions(string accountId, OperationResult result) => new()
    {
        ["operationId"] = result.OperationId,
        ["accountId"] = accountId,
        ["kind"] = OperationResponse.KindName(result.Kind),
        ["amount"] = result.Amount,
        ["balance"] = result.BalanceAfter,
    };

    private static ProblemHttpResult InvalidAccountId(string accountId) =>
        ApiProblem.InvalidAccountId.ToResult($"'{Truncate(accountId)}' is not an account ID: use {AccountIdFormat.Description}.");

    private static ProblemHttpResult AccountNotFound(string accountId) =>
        ApiProblem.AccountNotFound.ToResult($"Account '{accountId}' does not exist. Open it with PUT /accounts/{accountId}.");

    private static string Truncate(string value) => value.Length <= 80 ? value : value[..80] + "...";
}
