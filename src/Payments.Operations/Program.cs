using System.Collections;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Payments;
using Payments.Core.Storage;
using Payments.Operations;

// Operator commands against the app's storage, configured from the environment as the app is (Storage__* names, the
// PaymentsStorage connection: a connection string, or PaymentsStorage__tableServiceUri/__queueServiceUri for an identity).
const string prefix = StorageOptions.ConnectionName + "__";
var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
    .ToDictionary(entry => (string)entry.Key, entry => (string?)entry.Value, StringComparer.OrdinalIgnoreCase);
var names = new StorageOptions();
names.DeadLettersTable = environment.GetValueOrDefault("Storage__DeadLettersTable") ?? names.DeadLettersTable;
names.PaymentsQueue = environment.GetValueOrDefault("Storage__PaymentsQueue") ?? names.PaymentsQueue;
StorageClientFactory clients;
try
{
    var section = environment.Where(pair => pair.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        .ToDictionary(pair => pair.Key[prefix.Length..], pair => pair.Value, StringComparer.OrdinalIgnoreCase);
    clients = new StorageClientFactory(StorageConnection.Resolve(section, environment.GetValueOrDefault(StorageOptions.ConnectionName), StorageOptions.ConnectionName));
}
catch (StorageConfigurationException exception)
{
    await Console.Error.WriteLineAsync(exception.Message + Environment.NewLine + DeadLetterCommand.Usage);
    return 2;
}

var store = new PaymentDeadLetters(
    clients.GetTableClient(names.DeadLettersTable), clients.GetQueueClient(names.PaymentsQueue), TimeProvider.System,
    NullLogger<PaymentDeadLetters>.Instance);
using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
return await DeadLetterCommand.RunAsync(args, store, Console.Out, Console.Error, cancel.Token);
