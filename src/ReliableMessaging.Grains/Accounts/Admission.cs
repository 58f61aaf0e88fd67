using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>The verdict on an operation, with the answer when it is <see cref="AdmissionVerdict.Answered"/>.</summary>
public readonly record struct Admission(AdmissionVerdict Verdict, OperationResult? Answer)
{
    public static Admission Execute { get; } = new(AdmissionVerdict.Execute, null);

    public static Admission LookUpJournal { get; } = new(AdmissionVerdict.LookUpJournal, null);

    public static Admission Answered(OperationResult answer) => new(AdmissionVerdict.Answered, answer);
}
