using System.ComponentModel.DataAnnotations;

namespace Payments.Core.Storage;

/// <summary>
/// Where the app keeps its state. The connection itself is read from the configuration entry
/// <see cref="ConnectionName"/>, the same way the Functions host reads a binding's <c>connection</c>.
/// </summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>
    /// Name of the connection setting: a connection string, or a section with service URIs for managed identity.
    /// A constant, because the queue triggers name it at compile time and both must agree.
    /// </summary>
    public const string ConnectionName = "PaymentsStorage";

    [Required, RegularExpression(TableNamePattern, ErrorMessage = TableNameRule)]
    public string IdempotencyTable { get; set; } = "idempotency";

    [Required, RegularExpression(TableNamePattern, ErrorMessage = TableNameRule)]
    public string PaymentsTable { get; set; } = "payments";

    [Required, RegularExpression(TableNamePattern, ErrorMessage = TableNameRule)]
    public string CustomersTable { get; set; } = "customers";

    [Required, RegularExpression(TableNamePattern, ErrorMessage = TableNameRule)]
    public string LedgerTable { get; set; } = "ledger";

    /// <summary>Payment messages the app cannot read, parked by the app itself (see PaymentDeadLetters).</summary>
    [Required, RegularExpression(TableNamePattern, ErrorMessage = TableNameRule)]
    public string DeadLettersTable { get; set; } = "deadletters";

    [Required, RegularExpression(QueueNamePattern, ErrorMessage = QueueNameRule)]
    public string PaymentsQueue { get; set; } = "payments";

    /// <summary>Create missing tables and queues at start (local runs); the Bicep template creates them in Azure.</summary>
    public bool CreateIfMissing { get; set; } = true;

    /// <summary>The queue the host moves a message to after its last failed attempt.</summary>
    public string PaymentsPoisonQueue => PaymentsQueue + "-poison";

    /// <summary>Every table the app uses: the ones it creates locally, probes for health and is granted a role on in Azure.</summary>
    public IReadOnlyList<string> AllTables() =>
        new[] { IdempotencyTable, PaymentsTable, CustomersTable, LedgerTable, DeadLettersTable }.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

    /// <summary>Every queue the app uses, the poison queue included.</summary>
    public IReadOnlyList<string> AllQueues() => [PaymentsQueue, PaymentsPoisonQueue];

    internal const string TableNamePattern = "^[A-Za-z][A-Za-z0-9]{2,62}$";
    internal const string TableNameRule = "A table name is 3 to 63 letters and digits and starts with a letter.";
    internal const string QueueNamePattern = "^(?=.{3,57}$)[a-z0-9]+(-[a-z0-9]+)*$";
    internal const string QueueNameRule =
        "A queue name is 3 to 57 lower-case letters, digits and single hyphens (57, so that '-poison' still fits in 63).";
}
