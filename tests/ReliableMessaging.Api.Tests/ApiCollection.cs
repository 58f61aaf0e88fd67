namespace ReliableMessaging.Api.Tests;

/// <summary>API tests share one cluster and run one at a time (two cores).</summary>
[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
