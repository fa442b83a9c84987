namespace Payments.Core.Storage;

/// <summary>The property names every entity of the app's tables shares; each entity's own names are beside its mapping.</summary>
public static class EntityProperties
{
    /// <summary>What an entity is (payment, customer, email claim...): tables hold more than one kind.</summary>
    public const string Kind = "Kind";
    public const string MerchantId = "MerchantId";
    public const string CreatedAt = "CreatedAt";
    public const string UpdatedAt = "UpdatedAt";
}
