using System.Collections;
using System.Reflection;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Rules;

/// <summary>The pipeline mutates a clone of the persisted state: a property Clone forgets would silently vanish.</summary>
public sealed class AccountStateTests
{
    [Fact]
    public void Clone_CarriesEveryPersistedProperty_AndCopiesTheLists()
    {
        var state = new AccountState();
        var persisted = typeof(AccountState).GetProperties()
            .Where(p => p.GetCustomAttribute<IdAttribute>() is not null)
            .ToList();
        Assert.Equal(persisted.Count, typeof(AccountState).GetProperties().Count(p => p.CanWrite));

        // A value of its own for each property (booleans alternate): a Clone() that copies one into
        // another is caught too, not only one that forgets a property.
        foreach (var (property, index) in persisted.Select((property, index) => (property, index)))
        {
            property.SetValue(state, SampleValue(property.PropertyType, index));
        }

        var clone = state.Clone();

        foreach (var property in persisted)
        {
            var original = property.GetValue(state);
            var copied = property.GetValue(clone);
            if (original is IList list)
            {
                Assert.NotSame(original, copied);
                Assert.Equal(list.Cast<object>(), ((IList)copied!).Cast<object>());
            }
            else
            {
                Assert.True(Equals(original, copied), $"{nameof(AccountState)}.{property.Name} is not carried by Clone().");
            }
        }
    }

    private static object SampleValue(Type type, int index) =>
        type == typeof(bool) ? index % 2 == 0
        : type == typeof(long) ? 1000L + index
        : type == typeof(List<OperationRecord>) ? new List<OperationRecord> { new(Guid.CreateVersion7(), OperationKind.Deposit, 1, OperationStatus.Succeeded, 1) }
        : type == typeof(List<PendingTransfer>) ? new List<PendingTransfer> { new(Guid.CreateVersion7(), "bob", 1) }
        : type == typeof(List<RefusedCredit>) ? new List<RefusedCredit> { new(Guid.CreateVersion7(), OperationStatus.AccountNotFound, 1) }
        : throw new InvalidOperationException($"Add a sample value for {type} (a new persisted property type).");
}
