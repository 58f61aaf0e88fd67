using System.ComponentModel.DataAnnotations;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// The exactly-once window of every account, bound from the <c>Accounts</c> section of silo-config.
/// </summary>
public sealed class AccountOptions
{
    public const string SectionName = "Accounts";

    /// <summary>
    /// How many recorded operations an account keeps at most. The whole state is rewritten on every
    /// write, so each entry costs write bandwidth on every operation of that account.
    /// </summary>
    [Range(1, 100_000)]
    public int OperationWindowSize { get; set; } = 1000;

    /// <summary>How long a recorded outcome is kept, measured from its UUIDv7 timestamp.</summary>
    public TimeSpan OperationRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How far in the future an operation ID's timestamp may be (client clocks drift).</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many outgoing transfers an account may have in delivery at once; past it, new ones are refused.</summary>
    [Range(1, 10_000)]
    public int MaxPendingTransfers { get; set; } = 100;

    /// <summary>
    /// How often a durable reminder retries undelivered transfers (after a crash, or when the
    /// destination keeps failing). Within an activation, retries also run sooner, with backoff.
    /// </summary>
    public TimeSpan TransferRetryPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A transfer still pending this long after its debit raises an operator alert (error log 1025,
    /// metric <c>reliablemessaging.transfers.overdue</c>); delivery keeps retrying.
    /// </summary>
    public TimeSpan TransferAlertAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Throws when a value makes no sense; called at silo start.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (OperationRetention <= TimeSpan.Zero)
        {
            throw new ValidationException($"{SectionName}:{nameof(OperationRetention)} must be positive.");
        }

        if (TransferRetryPeriod < TimeSpan.FromSeconds(1))
        {
            throw new ValidationException($"{SectionName}:{nameof(TransferRetryPeriod)} must be at least one second.");
        }

        if (TransferAlertAge <= TimeSpan.Zero)
        {
            throw new ValidationException($"{SectionName}:{nameof(TransferAlertAge)} must be positive.");
        }

        if (MaxClockSkew < TimeSpan.Zero || MaxClockSkew >= OperationRetention)
        {
            throw new ValidationException(
                $"{SectionName}:{nameof(MaxClockSkew)} must be zero or positive and below {nameof(OperationRetention)}.");
        }
    }
}
