using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Health;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Storage;

/// <summary>
/// The stored grain state and the messages between clients and silos are Orleans' binary format.
/// Bytes written by an earlier build must read back field for field, and an earlier build must read
/// ours (a rolling upgrade runs both). Before they had generated codecs, Orleans serialized every enum
/// field through a fallback that boxed it and tagged it with its underlying type. The payloads below
/// were written that way, by commit 36aaad2 (<c>Serializer.SerializeToArray</c> of <see cref="SampleState"/> and the sample messages).
/// The other direction (that build reading payloads of this one) was checked once with both builds
/// side by side; it holds because the byte codec reads a value whatever type tag precedes it. It holds
/// for enums in typed fields, the only way the contracts carry them: an enum in an object-typed slot
/// would be named by its new alias, which the earlier build does not know.
/// </summary>
public sealed class StoredFormatTests
{
    private const long T = 1_764_000_000_000;

    private const string StateBeforeEnumCodecs =
        "IAADAZQDAwGpASD780tbzSEADSHoQCGXtpoBAOgAcIAAAAAAAAABCRUDAQTiBAkVAQEE4gTBAcEBwQEBBQGgAPRLW81BC2F0" +
        "bS0x4CDoQCGXtpoBAegAcIAAAAAAAAACCRUFAfRpGAkVAwEE4gTBAcEBwQEBCQEgAfRLW83BAeAg6EAhl7aaAQLoAHCAAAAA" +
        "AAAAAwkVBwFCnAkVAQGEqQNBFW1lcmNoYW50LTcJFQHBAQENAaAB9EtbzcEn4CDoQCGXtpoBA+gAcIAAAAAAAAAECRUJAUIf" +
        "CRUBAQToA0EPcGF5ZXItOQkVA8EBAREBIAL0S1vNwQHgIOhAIZe2mgEE6ABwgAAAAAAAAAUJFQ0BQpwJFQEBBOgDwU0JFQUB" +
        "IDL0S1vNARUBoAL0S1vNwQHgIOhAIZe2mgEF6ABwgAAAAAAAAAYJFQsBQpwJFQEBhCAFwU0JFQfBAQEZASAD9EtbzUEHb3Bz" +
        "4OAhAAUh6EAhl7aaAQboAHCAAAAAAAAAB0EVbWVyY2hhbnQtOAGSJgEgA/RLW83gIOhAIZe2mgEH6ABwgAAAAAAAAAhBFW1l" +
        "cmNoYW50LTkB3QEB4OABJQERAaD980tbzeA=";

    private const string OperationResultBeforeEnumCodecs = "IOhAIZe2mgEA6ABwgAAAAAAAAAEJFQUBIgMJFQPBAQED4A==";
    private const string TransferResultBeforeEnumCodecs = "IOhAIZe2mgEA6ABwgAAAAAAAAAJBA2FBA2IBHQkVAQkVAyGAAACMhXIr3giBAAAAAAAAAADgwQEBAeA=";
    private const string OperationLookupResultBeforeEnumCodecs = "IOgIFQHBAcEB4A==";
    private const string TransferLookupResultBeforeEnumCodecs = "IOgIFQXBAeA=";
    private const string OpenAccountResultBeforeEnumCodecs = "IOgIFQMBFQEZ4A==";
    private const string AccountSnapshotBeforeEnumCodecs = "IOgIFQMBAQEB4A==";

    // Written by commit 41824e7 (fields 9 and 10 of the state, the transfer index's five): pinned as
    // they are stored, so that a renumbered Id or enum value fails here. Add a constant for each new
    // format; never replace one (rows written by every earlier build must still read).
    private const string StateWithRefusedCredits =
        "IAADAZQDAwGpASD780tbzSEADSHoQCGXtpoBAOgAcIAAAAAAAAABAQMBBOIEAQEBBOIEwQHBAcEBAQUBoAD0S1vNQQthdG0tMeAg" +
        "6EAhl7aaAQHoAHCAAAAAAAAAAgEFAfRpGAEDAQTiBMEBwQHBAQEJASAB9EtbzcEB4CDoQCGXtpoBAugAcIAAAAAAAAADAQcBQpwB" +
        "AQGEqQNBFW1lcmNoYW50LTcBAcEBAQ0BoAH0S1vNwSfgIOhAIZe2mgED6ABwgAAAAAAAAAQBCQFCHwEBAQToA0EPcGF5ZXItOQED" +
        "wQEBEQEgAvRLW83BAeAg6EAhl7aaAQToAHCAAAAAAAAABQENAUKcAQEBBOgDwU0BBQEgMvRLW80BFQGgAvRLW83BAeAg6EAhl7aa" +
        "AQXoAHCAAAAAAAAABgELAUKcAQEBhCAFwU0BB8EBARkBIAP0S1vNQQdvcHPg4CEABSHoQCGXtpoBBugAcIAAAAAAAAAHQRVtZXJj" +
        "aGFudC04AZImASAD9EtbzeAg6EAhl7aaAQfoAHCAAAAAAAAACEEVbWVyY2hhbnQtOQHdAQHg4AElAREBoP3zS1vNIQAFIehAIZe2" +
        "mgEA6ABwgAAAAAAAAFoBFQGgAvRLW83gIOhAIZe2mgEA6ABwgAAAAAAAAFsBFwEgA/RLW83g4AGgAfRLW83g";

    private const string TransferIndexWritten = "IEAPcGF5ZXItOUEVbWVyY2hhbnQtNwFCnAGgA/RLW80BIAT0S1vN4A==";

    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public void AccountState_WrittenBeforeEnumCodecs_ReadsBackEveryField() =>
        AssertSameState(SampleState(), Serializer.Deserialize<AccountState>(Convert.FromBase64String(StateBeforeEnumCodecs)));

    [Fact]
    public void AccountState_RoundTrip_KeepsEveryField() =>
        AssertSameState(SampleState(), Serializer.Deserialize<AccountState>(Serializer.SerializeToArray(SampleState())));

    [Fact]
    public void AccountState_RefusedCredits_RoundTrip()
    {
        var state = SampleState();
        state.RefusedCredits = [new(Id(T, 90), OperationStatus.AccountNotFound, T + 5), new(Id(T, 91), OperationStatus.InvalidAmount, T + 6)];
        state.RefusedCreditsForgottenThroughUnixMs = T + 3;

        var read = Serializer.Deserialize<AccountState>(Serializer.SerializeToArray(state));

        Assert.Equal(state.RefusedCredits, read!.RefusedCredits);
        Assert.Equal(T + 3, read.RefusedCreditsForgottenThroughUnixMs);
    }

    [Fact]
    public void AccountState_WrittenNow_IsNoLargerThanBefore()
    {
        // Without the per-field type tag each enum costs one byte less.
        var before = Convert.FromBase64String(StateBeforeEnumCodecs).Length;
        var now = Serializer.SerializeToArray(SampleState()).Length;
        Assert.True(now < before, $"now {now} B, before {before} B");
    }

    [Fact]
    public void Messages_WrittenBeforeEnumCodecs_ReadBackEqual()
    {
        Assert.Equal(SampleOperationResult(), Read<OperationResult>(OperationResultBeforeEnumCodecs));
        Assert.Equal(SampleTransferResult(), Read<TransferResult>(TransferResultBeforeEnumCodecs));
        Assert.Equal(new OperationLookupResult(OperationLookupStatus.Found, null), Read<OperationLookupResult>(OperationLookupResultBeforeEnumCodecs));
        Assert.Equal(new TransferLookupResult(TransferLookupStatus.Expired, null), Read<TransferLookupResult>(TransferLookupResultBeforeEnumCodecs));
        Assert.Equal(new OpenAccountResult(OpenAccountStatus.AlreadyOpen, 5, 6), Read<OpenAccountResult>(OpenAccountResultBeforeEnumCodecs));
        Assert.Equal(new AccountSnapshot(AccountStatus.NotFound, 0, 0), Read<AccountSnapshot>(AccountSnapshotBeforeEnumCodecs));
    }

    /// <summary>
    /// An enum without a generated codec still serializes, through Orleans' fallback: one boxed value
    /// and one type tag per field, on every state write and every answer (measured: half the bytes a
    /// state write allocated). So every enum a serialized type carries must have its own.
    /// </summary>
    [Fact]
    public void SerializedTypes_EveryEnumTheyCarry_HasAGeneratedCodec()
    {
        var missing = new[] { typeof(OperationResult).Assembly, typeof(AccountState).Assembly }
            .SelectMany(assembly => assembly.GetTypes())
            .Where(type => type.GetCustomAttribute<GenerateSerializerAttribute>() is not null)
            .SelectMany(type => type.GetMembers(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(member => member.GetCustomAttribute<IdAttribute>() is not null)
                .SelectMany(member => EnumsIn(member switch
                {
                    PropertyInfo property => property.PropertyType,
                    FieldInfo field => field.FieldType,
                    _ => typeof(void),
                }))
                .Select(enumType => (type, enumType)))
            .Where(pair => pair.enumType.GetCustomAttribute<GenerateSerializerAttribute>() is null)
            .Select(pair => $"{pair.type.Name} carries {pair.enumType.FullName}")
            .Distinct()
            .ToList();

        Assert.True(missing.Count == 0, string.Join(Environment.NewLine, missing));
        Assert.Contains(typeof(OperationKind), EnumsIn(typeof(OperationRecord).GetProperty(nameof(OperationRecord.Kind))!.PropertyType));
    }

    private static IEnumerable<Type> EnumsIn(Type type)
    {
        if (type.IsEnum)
        {
            yield return type;
        }

        var inner = type.IsArray ? [type.GetElementType()!] : type.IsGenericType ? type.GetGenericArguments() : Type.EmptyTypes;
        foreach (var enumType in inner.SelectMany(EnumsIn))
        {
            yield return enumType;
        }
    }

    [Fact]
    public void AccountState_RefusedCreditsAndTheirFloor_WrittenBefore_ReadBackEveryField()
    {
        var expected = SampleStateWithRefusedCredits();

        var read = Read<AccountState>(StateWithRefusedCredits);

        AssertSameState(expected, read);
        // Each refusal's status is an OperationStatus value (10 and up): a renumbered member would read as another refusal.
        Assert.Equal(expected.RefusedCredits, read.RefusedCredits);
        Assert.Equal(expected.RefusedCreditsForgottenThroughUnixMs, read.RefusedCreditsForgottenThroughUnixMs);
    }

    [Fact]
    public void TransferIndexState_WrittenBefore_ReadsBackEveryField()
    {
        var expected = SampleTransferIndex();

        var read = Read<ReliableMessaging.Grains.Transfers.TransferIndexState>(TransferIndexWritten);

        Assert.Equal(
            (expected.Source, expected.Destination, expected.Amount, expected.LastStartUnixMs, expected.FencedUnixMs),
            (read.Source, read.Destination, read.Amount, read.LastStartUnixMs, read.FencedUnixMs));
    }

    /// <summary>
    /// Every message between clients, front ends and silos, each field set (the later ones too: a
    /// transfer look-up's ends, a statement page's pruned tally, a look-up's issuer), pinned as this
    /// build writes it: a renumbered Id or enum member, or a field dropped, fails here, where a round trip
    /// through the same build would still pass; and these bytes must read back equal (an older front end
    /// or silo in a rolling upgrade sends them). Written by commit 8a3a3f5; add a constant for each new
    /// format, never replace one.
    /// </summary>
    [Fact]
    public void Messages_EveryField_PinnedAsWritten_ReadBackEqual()
    {
        var transfer = new TransferResult(Id(T, 2), "payer-9", "merchant-7", 5_000, OperationStatus.Succeeded, TransferState.Refunded,
            DateTimeOffset.FromUnixTimeMilliseconds(T), DateTimeOffset.FromUnixTimeMilliseconds(T + 9), IsReplay: true);
        var entry = new StatementEntry(7, Id(T, 3), OperationKind.TransferIn, 1_000, OperationStatus.Succeeded, 16_000, "payer-9",
            TransferState.Completed, DateTimeOffset.FromUnixTimeMilliseconds(T + 4), "atm-1");
        var page = new StatementPage(AccountStatus.Open, [entry], NextAfter: 7, Balance: 16_000, LastSequence: 9, PrunedRecords: 3, PrunedEffect: -250);
        var mismatches = new List<string>();

        Pinned(new OperationResult(Id(T, 1), OperationKind.TransferRefund, 100, OperationStatus.OperationExpired, 900, IsReplay: true), "IOhAIZe2mgEA6ABwgAAAAAAAAAEBCwEiAwEdASIcAQPg");
        Pinned(transfer, "IOhAIZe2mgEA6ABwgAAAAAAAAAJBD3BheWVyLTlBFW1lcmNoYW50LTcBQpwBAQEFIYAAAIyFciveCIEAAAAAAAAAAOAhgJBfjYVyK94IgQAAAAAAAAAA4AED4A==");
        Pinned(new TransferLookupResult(TransferLookupStatus.Unconfirmed, transfer, "payer-9", "merchant-7"), "IOgAByHoQCGXtpoBAOgAcIAAAAAAAAACQQ9wYXllci05QRVtZXJjaGFudC03AUKcAQEBBSGAAACMhXIr3giBAAAAAAAAAADgIYCQX42FciveCIEAAAAAAAAAAOABA+DBC8EN4A==");
        Pinned(new OperationLookupResult(OperationLookupStatus.Found, new OperationResult(Id(T, 4), OperationKind.Deposit, 5, OperationStatus.Succeeded, 5, true), "atm-2"), "IOgAASHoQCGXtpoBAOgAcIAAAAAAAAAEAQMBFQEBARUBA+BBC2F0bS0y4A==");
        Pinned(new OpenAccountResult(OpenAccountStatus.InvalidAccountId, 12, 3), "IOgAIQExAQ3g");
        Pinned(new AccountSnapshot(AccountStatus.InvalidAccountId, 16_000, 42), "IOgAIQEE6AMBqeA=");
        Pinned(new JournalCheckpoint(AccountStatus.Open, 16_000, 9), "IOgAAQEE6AMBJeA=");
        Pinned(new HeldTransferResolution(HeldTransferResolutionStatus.NotHeld, OperationStatus.AccountNotFound, transfer), "IOgABQEVIehAIZe2mgEA6ABwgAAAAAAAAAJBD3BheWVyLTlBFW1lcmNoYW50LTcBQpwBAQEFIYAAAIyFciveCIEAAAAAAAAAAOAhgJBfjYVyK94IgQAAAAAAAAAA4AED4OA=");
        Pinned(new DatabasePathReport(true, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(1_500), TimeSpan.FromMinutes(2)), "IOgAA4GAw8kBAAAAAIHA4eQAAAAAAIEAjIZHAAAAAOA=");
        Pinned(entry, "IOgAHUEhl7aaAQDoAHCAAAAAAAAAAwEJAUIfAQEBBOgDQQ9wYXllci05AQMhgECcjIVyK94IgQAAAAAAAAAA4EELYXRtLTHg");
        const string PageWritten = "IOgAATEB0iD/SGNSZWFkT25seUxpc3RJbnRlcmZhY2VDb2RlY2AxW1tybS5TdGF0ZW1lbnRFbnRyeV1dAAMh6AAdQSGXtpoBAOgAcIAAAAAAAAADAQkBQh8BAQEE6ANBD3BheWVyLTkBAyGAQJyMhXIr3giBAAAAAAAAAADgQQthdG0tMeDgAR0BBOgDASUBDQHOB+A=";
        var pageNow = Convert.ToBase64String(Serializer.SerializeToArray(page));
        if (pageNow != PageWritten)
        {
            mismatches.Add($"StatementPage written as {pageNow}");
        }
        else
        {
            var read = Read<StatementPage>(PageWritten);
            Assert.Equal(page with { Entries = [] }, read with { Entries = [] });
            Assert.Equal(page.Entries, read.Entries);
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));

        void Pinned<TMessage>(TMessage message, string written)
        {
            var now = Convert.ToBase64String(Serializer.SerializeToArray(message));
            if (now != written)
            {
                mismatches.Add($"{typeof(TMessage).Name} written as {now}");
                return;
            }

            Assert.Equal(message, Read<TMessage>(written));
        }
    }

    private static AccountState SampleStateWithRefusedCredits()
    {
        var state = SampleState();
        state.RefusedCredits =
        [
            new(Id(T, 90), OperationStatus.AccountNotFound, T + 5),
            new(Id(T, 91), OperationStatus.InvalidAmount, T + 6),
        ];
        state.RefusedCreditsForgottenThroughUnixMs = T + 3;
        return state;
    }

    private static ReliableMessaging.Grains.Transfers.TransferIndexState SampleTransferIndex() => new()
    {
        Source = "payer-9",
        Destination = "merchant-7",
        Amount = 5_000,
        LastStartUnixMs = T + 7,
        FencedUnixMs = T + 8,
    };

    private static T Read<T>(string base64) =>
        Serializer.Deserialize<T>(Convert.FromBase64String(base64)) ?? throw new InvalidOperationException($"{typeof(T).Name} read back as null.");

    private static void AssertSameState(AccountState expected, AccountState? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(
            (expected.IsOpen, expected.Balance, expected.Version, expected.EvictedThroughUnixMs, expected.LastSequence, expected.JournaledThrough, expected.JournalBoundaryUnixMs),
            (actual.IsOpen, actual.Balance, actual.Version, actual.EvictedThroughUnixMs, actual.LastSequence, actual.JournaledThrough, actual.JournalBoundaryUnixMs));

        // Records compare every property, the init-only ones (sequence, time, issuer) included.
        Assert.Equal(expected.Operations, actual.Operations);
        Assert.Equal(expected.PendingTransfers, actual.PendingTransfers);
    }

    private static Guid Id(long unixMs, int n) =>
        new($"{unixMs:x12}"[..8] + "-" + $"{unixMs:x12}"[8..] + "-7000-8000-" + n.ToString("x12"));

    /// <summary>Every kind, both recorded statuses, every transfer state, and optional fields set and unset.</summary>
    private static AccountState SampleState() => new()
    {
        IsOpen = true,
        Balance = 12_345,
        Version = 42,
        EvictedThroughUnixMs = T - 10,
        LastSequence = 9,
        JournaledThrough = 4,
        JournalBoundaryUnixMs = T - 5,
        Operations =
        [
            new(Id(T, 1), OperationKind.Deposit, 20_000, OperationStatus.Succeeded, 20_000) { Sequence = 1, RecordedUnixMs = T + 1, IssuedBy = "atm-1" },
            new(Id(T + 1, 2), OperationKind.Withdrawal, 99_999, OperationStatus.InsufficientFunds, 20_000) { Sequence = 2, RecordedUnixMs = T + 2 },
            new(Id(T + 2, 3), OperationKind.TransferOut, 5_000, OperationStatus.Succeeded, 15_000, "merchant-7", TransferState.Pending) { Sequence = 3, RecordedUnixMs = T + 3, IssuedBy = "atm-1" },
            new(Id(T + 3, 4), OperationKind.TransferIn, 1_000, OperationStatus.Succeeded, 16_000, "payer-9", TransferState.Completed) { Sequence = 4, RecordedUnixMs = T + 4 },
            new(Id(T + 4, 5), OperationKind.TransferFinished, 5_000, OperationStatus.Succeeded, 16_000, "merchant-7", TransferState.Refunded, T + 100) { Sequence = 5, RecordedUnixMs = T + 5 },
            new(Id(T + 5, 6), OperationKind.TransferRefund, 5_000, OperationStatus.Succeeded, 21_000, "merchant-7", TransferState.Stuck) { Sequence = 6, RecordedUnixMs = T + 6, IssuedBy = "ops" },
        ],
        PendingTransfers = [new(Id(T + 6, 7), "merchant-8", 1_234, T + 6), new(Id(T + 7, 8), "merchant-9", 55)],
    };

    private static OperationResult SampleOperationResult() =>
        new(Id(T, 1), OperationKind.Withdrawal, 100, OperationStatus.InsufficientFunds, null, true);

    private static TransferResult SampleTransferResult() =>
        new(Id(T, 2), "a", "b", 7, OperationStatus.Succeeded, TransferState.Completed, DateTimeOffset.FromUnixTimeMilliseconds(T), null, false);
}
