using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Tests.Rules;

public sealed class AccountIdFormatTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("ATM-42_main.eur")]
    [InlineData("...")]
    [InlineData(".a")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void IsValid_AllowedCharactersUpTo64_True(string accountId) => Assert.True(AccountIdFormat.IsValid(accountId));

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("01234567890123456789012345678901234567890123456789012345678901234")]
    [InlineData("has space")]
    [InlineData("slash/inside")]
    [InlineData("caf\u00e9")]
    [InlineData("semi;colon")]
    [InlineData(".")]
    [InlineData("..")]
    public void IsValid_EmptyTooLongOrOtherCharacters_False(string? accountId) => Assert.False(AccountIdFormat.IsValid(accountId));
}
