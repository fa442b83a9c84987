using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Payments.LoadDriver;

/// <summary>A payment written by <see cref="RawPaymentStorage"/>: its partition and id.</summary>
public sealed record RawPayment(string PartitionKey, string Id);

/// <summary>
/// The app's storage work for one payment, done with bare SDK calls: no HTTP, no gRPC, no JWT, no request JSON. The
/// benchmark's baselines (the least the same work can cost on the same storage) and the shape
/// <c>RawBaselineParityTests</c> holds equal to the app's, request for request, so the two cannot drift apart.
/// <list type="bullet">
/// <item>Accept (<c>POST /api/v1/payments</c>, claimless): one entity group transaction of 6 entities in the payment's
/// partition (the payment, its "all" and "pending" listing copies, the due entry, the idempotency record with the
/// stored 202 response, the record's expiry entry), then the queue message.</item>
/// <item>Replay: the same batch again, refused with 409 because the entities exist, then a point read of the record.</item>
/// <item>Processing (<c>ProcessPayment</c> and the host's trigger around it): receive the message, read the payment,
/// move it to processing (replace the payment on its ETag, replace the "all" copy, delete the "pending" copy, add the
/// "processing" copy, delete the due entry), insert the charge into the ledger, move it to succeeded (replace, replace,
/// delete, add), delete the message.</item>
/// </list>
/// Entity sizes follow the app's (property names and value lengths alike), so a batch costs storage the same bytes.
/// </summary>
public sealed class RawPaymentStorage(TableClient payments, TableClient ledger, QueueClient queue)
{
    /// <summary>The listing copies and due entry of a payment, as the app names them: a RowKey prefix per view.</summary>
    private const string AllPrefix = "lst-rawm-all-";
    private const string PendingPrefix = "lst-rawm-pending-";
    private const string ProcessingPrefix = "lst-rawm-processing-";
    private const string SucceededPrefix = "lst-rawm-succeeded-";
    private const string DuePrefix = "due-";
    private const string RecordPrefix = "idem-";
    private const string ExpiryPrefix = "exp-";

    // What the app stores: a 202 body of about 330 bytes and its headers, a traceparent, a base64 fingerprint.
    private static readonly byte[] StoredBody = Encoding.UTF8.GetBytes(
        """{"id":"pay_000000000000000000000000000000000000","status":"pending","amount":1999,"currency":"EUR","source":"tok_visa","customerId":null,"description":null,"metadata":{},"failureCode":null,"createdAt":"2026-12-03T00:00:00.0000000+00:00","updatedAt":"2026-12-03T00:00:00.0000000+00:00"}""");

    private const string StoredHeaders =
        """{"Content-Type":["application/json; charset=utf-8"],"ETag":["\"0000000000000000000000000000000000000000000=\""],"Location":["/api/v1/payments/pay_000000000000000000000000000000000000"]}""";

    private const string TraceParent = "00-00000000000000000000000000000000-0000000000000000-01";

    public TableClient Payments => payments;

    public TableClient Ledger => ledger;

    public QueueClient Queue => queue;

    /// <summary>A new payment in one of 16 partitions (as the app spreads one merchant over its 16 shards).</summary>
    public static RawPayment NewPayment()
    {
        var id = "pay_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(18))[..35];
        return new RawPayment("a0" + id[^1], id);
    }

    /// <summary>What the app does to accept a payment: the 6-entity batch and the message.</summary>
    public async Task<RawPayment> AcceptAsync(CancellationToken cancellationToken)
    {
        var payment = NewPayment();
        await payments.SubmitTransactionAsync(AcceptBatch(payment), cancellationToken);
        await queue.SendMessageAsync(Message(payment), cancellationToken);
        return payment;
    }

    /// <summary>What the app does for a replay: the accept batch again, refused (409), then a point read of the record.</summary>
    public async Task ReplayAsync(RawPayment payment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        try
        {
            await payments.SubmitTransactionAsync(AcceptBatch(payment), cancellationToken);
            throw new InvalidOperationException($"Replaying raw payment {payment.Id} wrote it again: it was never accepted.");
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
        }

        await payments.GetEntityAsync<TableEntity>(payment.PartitionKey, RecordPrefix + payment.Id, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// What the host's queue trigger and <c>ProcessPayment</c> do for one message; false when the queue had none.
    /// The message's visibility lease is the host's (<paramref name="lease"/>).
    /// </summary>
    public async Task<bool> ProcessOneAsync(TimeSpan lease, CancellationToken cancellationToken)
    {
        var received = (await queue.ReceiveMessagesAsync(1, lease, cancellationToken)).Value;
        if (received.Length == 0)
        {
            return false;
        }

        await ProcessAsync(received[0], cancellationToken);
        return true;
    }

    /// <summary>What <c>ProcessPayment</c> and the host's delete do for a message the host received (in a batch of up to 16).</summary>
    public async Task ProcessAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var document = JsonDocument.Parse(message.Body);
        var id = document.RootElement.GetProperty("paymentId").GetString()!;
        var payment = new RawPayment("a0" + id[^1], id);

        var stored = (await payments.GetEntityAsync<TableEntity>(payment.PartitionKey, payment.Id, cancellationToken: cancellationToken)).Value;
        var processing = await payments.SubmitTransactionAsync(Move(payment, stored.ETag, "Processing", PendingPrefix, ProcessingPrefix, deleteDue: true), cancellationToken);
        await ledger.AddEntityAsync(Charge(payment), cancellationToken);
        await payments.SubmitTransactionAsync(
            Move(payment, processing.Value[0].Headers.ETag ?? ETag.All, "Succeeded", ProcessingPrefix, SucceededPrefix, deleteDue: false), cancellationToken);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
    }

    /// <summary>The accept batch: the same 6 entities, in the same partition, as the app's claimless accept.</summary>
    public static IReadOnlyList<TableTransactionAction> AcceptBatch(RawPayment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var now = DateTimeOffset.UtcNow;
        var entity = PaymentEntity(payment, "Pending", now);
        return
        [
            new(TableTransactionActionType.Add, entity),
            new(TableTransactionActionType.Add, Copy(entity, AllPrefix)),
            new(TableTransactionActionType.Add, Copy(entity, PendingPrefix)),
            new(TableTransactionActionType.Add, new TableEntity(payment.PartitionKey, DuePrefix + payment.Id)
            {
                ["Kind"] = "payment-due",
                ["PaymentId"] = payment.Id,
                ["TraceParent"] = TraceParent,
            }),
            new(TableTransactionActionType.Add, Record(payment, now)),
            new(TableTransactionActionType.UpsertReplace, new TableEntity(payment.PartitionKey, ExpiryPrefix + now.AddDays(1).ToString("yyyyMMddHH", System.Globalization.CultureInfo.InvariantCulture) + "-" + RecordPrefix + payment.Id)),
        ];
    }

    public static string Message(RawPayment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        return Inv.S($$"""{"v":1,"paymentId":"{{payment.Id}}","traceparent":"{{TraceParent}}"}""");
    }

    private static IEnumerable<TableTransactionAction> Move(RawPayment payment, ETag ifMatch, string status, string fromPrefix, string toPrefix, bool deleteDue)
    {
        var entity = PaymentEntity(payment, status, DateTimeOffset.UtcNow);
        yield return new(TableTransactionActionType.UpdateReplace, entity, ifMatch);
        yield return new(TableTransactionActionType.UpdateReplace, Copy(entity, AllPrefix), ETag.All);
        yield return new(TableTransactionActionType.Delete, new TableEntity(payment.PartitionKey, fromPrefix + payment.Id), ETag.All);
        yield return new(TableTransactionActionType.Add, Copy(entity, toPrefix));
        if (deleteDue)
        {
            yield return new(TableTransactionActionType.Delete, new TableEntity(payment.PartitionKey, DuePrefix + payment.Id), ETag.All);
        }
    }

    private static TableEntity PaymentEntity(RawPayment payment, string status, DateTimeOffset at) => new(payment.PartitionKey, payment.Id)
    {
        ["Kind"] = "payment",
        ["MerchantId"] = "bench-merchant",
        ["Amount"] = 1999L,
        ["Currency"] = "EUR",
        ["Source"] = "tok_visa",
        ["Status"] = status,
        ["CreatedAt"] = at,
        ["UpdatedAt"] = at,
        ["EnqueuedAt"] = at,
        ["TraceParent"] = TraceParent,
    };

    private static TableEntity Copy(TableEntity payment, string prefix)
    {
        var copy = new TableEntity(payment) { RowKey = prefix + payment.RowKey, ["Kind"] = "payment-index", ["PaymentId"] = payment.RowKey };
        copy.Remove("TraceParent");
        return copy;
    }

    private static TableEntity Record(RawPayment payment, DateTimeOffset now) => new(payment.PartitionKey, RecordPrefix + payment.Id)
    {
        ["Kind"] = "idempotency",
        ["State"] = "completed",
        ["Fingerprint"] = "sha256:0000000000000000000000000000000000000000000=",
        ["Subject"] = "bench-merchant",
        ["Key"] = "bench-00000000000000000000000000000000",
        ["AttemptId"] = "00000000000000000000000000000000",
        ["Generation"] = 1,
        ["Executions"] = 1,
        ["LockedUntil"] = now.AddSeconds(30),
        ["ExpiresAt"] = now.AddDays(1),
        ["CompletedAt"] = now,
        ["Status"] = 202,
        ["Headers"] = StoredHeaders,
        ["BodyLength"] = StoredBody.Length,
        ["Body0"] = StoredBody,
        ["BodyChunks"] = 1,
    };

    private static TableEntity Charge(RawPayment payment) =>
        new(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payment.Id)))[..3], payment.Id)
        {
            ["Kind"] = "charge",
            ["ChargeId"] = "ch_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            ["Amount"] = 1999L,
            ["Currency"] = "EUR",
            ["CreatedAt"] = DateTimeOffset.UtcNow,
        };
}
