using System.Text.Json.Serialization.Metadata;

namespace Payments.Core;

/// <summary>
/// A command as the client sends it (its JSON contract) that checks its own fields; whoever receives it validates it
/// before anything else happens, so a bad command leaves nothing behind.
/// </summary>
public interface IValidatable<TSelf>
    where TSelf : class, IValidatable<TSelf>
{
    static abstract JsonTypeInfo<TSelf> JsonTypeInfo { get; }

    /// <summary>Field errors, each saying what is wrong and what is accepted; empty when the command is valid.</summary>
    IReadOnlyDictionary<string, string[]> Validate();
}
