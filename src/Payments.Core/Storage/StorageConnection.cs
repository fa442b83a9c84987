namespace Payments.Core.Storage;

/// <summary>How the app reaches storage: one of a connection string, or service URIs with a token credential.</summary>
public abstract record StorageConnection
{
    private StorageConnection()
    {
    }

    /// <summary>A shared-key connection string (Azurite, or an account that allows shared keys).</summary>
    public sealed record ConnectionString(string Value) : StorageConnection
    {
        // The value holds an account key: never let it reach a log through ToString.
        public override string ToString() => "ConnectionString { Value = *** }";
    }

    /// <summary>Identity-based: service URIs and a Microsoft Entra credential (managed identity in Azure).</summary>
    public sealed record ServiceUris(Uri TableServiceUri, Uri QueueServiceUri, string? Credential, string? ClientId) : StorageConnection;

    /// <summary>
    /// Reads a connection the way the Functions host does: <c>Name</c> is a connection string, or
    /// <c>Name__tableServiceUri</c>/<c>Name__queueServiceUri</c> (or <c>Name__accountName</c>) with
    /// optional <c>Name__credential</c> and <c>Name__clientId</c>.
    /// </summary>
    public static StorageConnection Resolve(IReadOnlyDictionary<string, string?> section, string? connectionString, string connectionName)
    {
        ArgumentNullException.ThrowIfNull(section);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new ConnectionString(connectionString);
        }

        var accountName = Get(section, "accountName");
        var tableUri = Get(section, "tableServiceUri") ?? (accountName is null ? null : $"https://{accountName}.table.core.windows.net");
        var queueUri = Get(section, "queueServiceUri") ?? (accountName is null ? null : $"https://{accountName}.queue.core.windows.net");
        if (tableUri is null || queueUri is null)
        {
            throw new StorageConfigurationException(
                $"Storage connection '{connectionName}' is not configured. Set '{connectionName}' to a connection string " +
                $"(for Azurite: UseDevelopmentStorage=true), or set '{connectionName}__tableServiceUri' and " +
                $"'{connectionName}__queueServiceUri' (or '{connectionName}__accountName') for a managed identity.");
        }

        return new ServiceUris(ParseUri(tableUri, connectionName, "tableServiceUri"), ParseUri(queueUri, connectionName, "queueServiceUri"),
            Get(section, "credential"), Get(section, "clientId"));
    }

    private static string? Get(IReadOnlyDictionary<string, string?> section, string key) =>
        section.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

    private static Uri ParseUri(string value, string connectionName, string key)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback))
        {
            throw new StorageConfigurationException(
                $"'{connectionName}__{key}' must be an absolute https URI (plain http is allowed only on loopback); got '{value}'.");
        }

        return uri;
    }
}

public sealed class StorageConfigurationException : Exception
{
    public StorageConfigurationException(string message) : base(message)
    {
    }

    public StorageConfigurationException()
    {
    }

    public StorageConfigurationException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
