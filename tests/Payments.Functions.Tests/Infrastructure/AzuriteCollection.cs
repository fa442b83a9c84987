using Payments.Testing;

namespace Payments.Functions.Tests.Infrastructure;

/// <summary>The tests of the HTTP mapping over the real services share one Azurite (xunit wants the definition in each test assembly).</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
