using Azure.Data.Tables;

namespace Functions.LocalHost.SampleApp;

/// <summary>Writes what the functions saw into a table, where the tests look for it.</summary>
public sealed class Recorder(TableClient table)
{
    public async Task RecordAsync(string kind, string key, IDictionary<string, object> values, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(values);
        var entity = new TableEntity(kind, key);
        foreach (var (name, value) in values)
        {
            entity[name] = value;
        }

        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }
}
