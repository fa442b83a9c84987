namespace Payments.Core.Auth;

/// <summary>What a caller's token may grant: reading and writing payments are granted separately.</summary>
public static class PaymentScopes
{
    public const string Read = "payments:read";
    public const string Write = "payments:write";
}
