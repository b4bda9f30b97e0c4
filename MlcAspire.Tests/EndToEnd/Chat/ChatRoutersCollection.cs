using MlcAspire.Tests.EndToEnd.Router;

namespace MlcAspire.Tests.EndToEnd.Chat;

/// <summary>The chat test classes share one pair of engine worlds and their routers (starting them is the slow part).</summary>
[CollectionDefinition(Name)]
public sealed class ChatRoutersCollection : ICollectionFixture<EngineClustersFixture>
{
    public const string Name = "Chat routers";
}
