using ReliableMessaging.Contracts;

namespace ReliableMessaging.Tests.Rules;

public sealed class Uuid7Tests
{
    [Fact]
    public void IsValid_Version7_True() => Assert.True(Uuid7.IsValid(Guid.CreateVersion7()));

    [Fact]
    public void IsValid_Version4OrEmpty_False()
    {
        Assert.False(Uuid7.IsValid(Guid.NewGuid()));
        Assert.False(Uuid7.IsValid(Guid.Empty));
        Assert.False(Uuid7.IsValid(Guid.AllBitsSet));
    }

    [Fact]
    public void IsValid_Version7NibbleWithWrongVariant_False()
    {
        // Version 7 but the Microsoft variant (110x) instead of RFC 9562's 10xx.
        Assert.False(Uuid7.IsValid(Guid.Parse("0190a6e0-6c2d-7000-c000-000000000000")));
        Assert.True(Uuid7.IsValid(Guid.Parse("0190a6e0-6c2d-7000-8000-000000000000")));
    }

    [Fact]
    public void IsValid_TimeBeyondTheYear9999_False()
    {
        // 48 bits of milliseconds reach the year 10889; DateTimeOffset stops at the end of 9999.
        Assert.True(Uuid7.IsValid(Guid.CreateVersion7(DateTimeOffset.MaxValue)));
        Assert.Equal(Uuid7.MaxUnixTimeMilliseconds, DateTimeOffset.MaxValue.ToUnixTimeMilliseconds());
        Assert.False(Uuid7.IsValid(Guid.Parse("e677d21f-dc00-7000-8000-000000000000")));
        Assert.False(Uuid7.IsValid(Guid.Parse("ffffffff-ffff-7fff-bfff-ffffffffffff")));
        Assert.False(Uuid7.TryParse("ffffffff-ffff-7fff-bfff-ffffffffffff", out _));
        Assert.False(Uuid7.IsDerived(Guid.Parse("ffffffff-ffff-8fff-bfff-ffffffffffff")));
    }

    [Fact]
    public void GetTimestamp_ReturnsTheEmbeddedMillisecond()
    {
        var at = new DateTimeOffset(2026, 11, 27, 10, 30, 15, 123, TimeSpan.Zero);
        Assert.Equal(at, Uuid7.GetTimestamp(Guid.CreateVersion7(at)));
        Assert.Equal(at.ToUnixTimeMilliseconds(), Uuid7.GetUnixTimeMilliseconds(Guid.CreateVersion7(at)));
    }

    [Fact]
    public void Compare_OrdersByTimestampFirst()
    {
        var earlier = Guid.CreateVersion7(DateTimeOffset.UnixEpoch.AddYears(50));
        var later = Guid.CreateVersion7(DateTimeOffset.UnixEpoch.AddYears(50).AddMilliseconds(1));
        Assert.True(Uuid7.Compare(earlier, later) < 0);
        Assert.True(Uuid7.Compare(later, earlier) > 0);
        Assert.Equal(0, Uuid7.Compare(later, later));
    }

    [Theory]
    [InlineData("0190a6e0-6c2d-7000-8000-000000000000", true)]
    [InlineData("0190a6e06c2d70008000000000000000", true)]
    [InlineData("{0190a6e0-6c2d-7000-8000-000000000000}", false)]
    [InlineData("0190a6e0-6c2d-4000-8000-000000000000", false)]
    [InlineData("not-a-uuid", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void TryParse_AcceptsOnlyCanonicalUuid7(string? text, bool expected) =>
        Assert.Equal(expected, Uuid7.TryParse(text, out _));
}
