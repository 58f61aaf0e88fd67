using System.Globalization;

namespace ReliableMessaging.Atm.Bank;

/// <summary>One transfer as the ATM means it: every retry sends exactly this key (the transfer ID) and body.</summary>
public sealed record TransferIntent(Guid TransferId, string From, string To, long Amount)
{
    public string Body => string.Create(CultureInfo.InvariantCulture, $"{{\"from\":\"{From}\",\"to\":\"{To}\",\"amount\":{Amount}}}");
}
