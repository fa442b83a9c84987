using Azure.Core;

namespace Payments.Testing;

/// <summary>What one storage request does, read from its method and URI (the SDK does not label requests).</summary>
public enum StorageOperation
{
    Other,
    TableCreate,
    EntityInsert,
    EntityRead,
    EntityReplace,
    EntityMerge,
    EntityDelete,
    TableQuery,
    TableBatch,
    QueueMessage,
}

public static class StorageOperations
{
    /// <summary>
    /// Classifies a Table or Queue request. Table entity addresses look like <c>/table(PartitionKey='p',RowKey='r')</c>,
    /// a batch is <c>POST /$batch</c>, an insert is <c>POST /table</c>; queue messages live under <c>/queue/messages</c>.
    /// </summary>
    public static StorageOperation Classify(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Classify(request.Method.Method, request.Uri.Path);
    }

    /// <summary>The same classification from a request's method and URI path, as a proxy in front of storage sees them.</summary>
    public static StorageOperation Classify(string httpMethod, string uriPath)
    {
        ArgumentNullException.ThrowIfNull(httpMethod);
        ArgumentNullException.ThrowIfNull(uriPath);
        var path = uriPath.TrimEnd('/');
        var method = RequestMethod.Parse(httpMethod);
        if (path.EndsWith("/messages", StringComparison.Ordinal) || path.Contains("/messages/", StringComparison.Ordinal))
        {
            return StorageOperation.QueueMessage;
        }

        var segment = path[(path.LastIndexOf('/') + 1)..];
        if (segment == "$batch")
        {
            return StorageOperation.TableBatch;
        }

        if (segment.StartsWith("Tables", StringComparison.Ordinal))
        {
            return method == RequestMethod.Post ? StorageOperation.TableCreate : StorageOperation.Other;
        }

        // Entity addresses are escaped in the URI; both forms are accepted.
        if (segment.Contains("PartitionKey", StringComparison.Ordinal))
        {
            if (method == RequestMethod.Get)
            {
                return StorageOperation.EntityRead;
            }

            if (method == RequestMethod.Put)
            {
                return StorageOperation.EntityReplace;
            }

            if (method == RequestMethod.Delete)
            {
                return StorageOperation.EntityDelete;
            }

            return method == RequestMethod.Patch || method.Method == "MERGE" ? StorageOperation.EntityMerge : StorageOperation.Other;
        }

        if (method == RequestMethod.Get)
        {
            return StorageOperation.TableQuery;
        }

        return method == RequestMethod.Post ? StorageOperation.EntityInsert : StorageOperation.Other;
    }
}
