[assembly: TestCollectionOrderer(
    "ReliableMessaging.Deployment.Tests.Infrastructure.LongestFirstCollectionOrderer", "ReliableMessaging.Deployment.Tests")]
