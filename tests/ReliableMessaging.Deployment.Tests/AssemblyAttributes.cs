[assembly: TestCollectionOrderer(
    "ReliableMessaging.Deployment.Tests.Infrastructure.StartEarlyCollectionOrderer", "ReliableMessaging.Deployment.Tests")]
