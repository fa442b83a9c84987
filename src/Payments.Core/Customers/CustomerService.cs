using Azure;
using Azure.Data.Tables;
using Idempotency.Tables;
using Microsoft.Extensions.Logging;
using Payments.Core.Storage;

namespace Payments.Core.Customers;

public abstract record CustomerOutcome
{
    private CustomerOutcome()
    {
    }

    public sealed record Done(Customer Customer) : CustomerOutcome;

    /// <summary>Another of the merchant's customers has this email (compared case-insensitively).</summary>
    public sealed record EmailTaken(CustomerId ExistingCustomer) : CustomerOutcome;

    public sealed record NotFound : CustomerOutcome;

    /// <summary>The caller's precondition (for example If-Match) does not hold for the current version.</summary>
    public sealed record PreconditionFailed : CustomerOutcome;

    /// <summary>Another attempt with the same idempotency key owns the outcome (it took the key over); nothing was written.</summary>
    public sealed record Superseded : CustomerOutcome;
}

/// <summary>
/// Customers and the one rule that spans entities: an email is unique per merchant. The rule is held by an email
/// claim entity inserted with AddEntity, so of two concurrent creates only one can win; a claim whose customer never
/// appeared (a crash between the two writes) is taken over once it is older than <see cref="AbandonedClaimAge"/>. Every
/// takeover first fences the holder (see <c>ClaimEmailAsync</c>), so it holds under any interleaving of creates,
/// replaces and deletes, not just when the holder is slow.
/// </summary>
public sealed partial class CustomerService(TableClient table, TimeProvider time, ILogger<CustomerService> logger)
{
    public static readonly TimeSpan AbandonedClaimAge = TimeSpan.FromSeconds(60);
    private const string ClaimKind = "email-claim";

    /// <summary>The property names of an email claim (and of a fence row: Kind, MerchantId, FencedAt).</summary>
    private static class ClaimProperties
    {
        public const string CustomerId = "CustomerId";
        public const string ClaimedAt = "ClaimedAt";
        public const string RetryScope = "RetryScope";
        public const string FencedAt = "FencedAt";

        /// <summary>Set on a customer whose claim was taken over: only its ETag matters.</summary>
        public const string EmailFencedAt = "EmailFencedAt";
    }

    /// <summary>A row at the key of a customer whose claim was taken over before it was written: its create can never land.</summary>
    private const string FenceKind = "customer-fenced";
    private const int MaxConflicts = 5;

    public TableClient Table => table;

    public async Task<Customer?> FindAsync(string merchantId, string id, CancellationToken cancellationToken)
    {
        if (!CustomerId.TryParse(id, out var customerId))
        {
            return null;
        }

        var found = await table.GetEntityIfExistsAsync<TableEntity>(customerId.PartitionKey, customerId.Value, cancellationToken: cancellationToken);
        return found.HasValue && found.Value is { } entity && entity.GetString(EntityProperties.Kind) == Customer.KindValue
            && string.Equals(entity.GetString(EntityProperties.MerchantId), merchantId, StringComparison.Ordinal)
            ? Customer.FromEntity(entity)
            : null;
    }

    /// <summary>
    /// Creates customer <paramref name="id"/>. <paramref name="commit"/> submits the batch (the customer, plus what the
    /// caller adds: the idempotency completion) and says whether this attempt's batch is durable; false means nothing
    /// was written because another attempt owns the outcome (<see cref="CustomerOutcome.Superseded"/>).
    /// </summary>
    public Task<CustomerOutcome> CreateAsync(
        string merchantId, CustomerId id, CustomerRequest request,
        Func<Customer, IReadOnlyList<TableTransactionAction>, CancellationToken, Task<bool>> commit, CancellationToken cancellationToken) =>
        CreateAsync(merchantId, id, request, retryScope: null, commit, cancellationToken);

    /// <param name="retryScope">
    /// What retries of one request share (its idempotency record): an email claim made under the same scope for a
    /// customer that never appeared is an earlier attempt's unfinished work, taken over at once instead of after
    /// <see cref="AbandonedClaimAge"/>. A retry after the key was released derives a new customer id.
    /// </param>
    public async Task<CustomerOutcome> CreateAsync(
        string merchantId, CustomerId id, CustomerRequest request, string? retryScope,
        Func<Customer, IReadOnlyList<TableTransactionAction>, CancellationToken, Task<bool>> commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(commit);
        var now = time.GetUtcNow();
        var customer = new Customer(id, merchantId, request.Email, request.Name, now, now, default);
        if (await ClaimEmailAsync(merchantId, request.Email, customer.Id, cancellationToken, retryScope) is { } taken)
        {
            return taken;
        }

        List<TableTransactionAction> batch = [new(TableTransactionActionType.Add, customer.ToEntity())];
        bool committed;
        try
        {
            committed = await commit(customer, batch, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409 && ex.FailedTransactionActionIndex == 0)
        {
            // A competitor fenced this customer's id off its email claim before the customer landed (a fence row holds
            // the key): the email is taken. Any other row at this id is unexpected.
            if (await ClaimHolderIfFencedAsync(merchantId, request.Email, customer.Id, cancellationToken) is { } holder)
            {
                return new CustomerOutcome.EmailTaken(holder);
            }

            throw;
        }

        if (!committed)
        {
            return new CustomerOutcome.Superseded();
        }

        LogCreated(customer.Id.Value);
        return new CustomerOutcome.Done(customer);
    }

    public async Task<CustomerOutcome> ReplaceAsync(
        string merchantId, string id, CustomerRequest request, Func<Customer, bool>? precondition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        for (var attempt = 0; attempt < MaxConflicts; attempt++)
        {
            var (current, refusal) = await FindMatchingAsync(merchantId, id, precondition, cancellationToken);
            if (refusal is not null)
            {
                return refusal;
            }

            if (current.Email == request.Email && current.Name == request.Name)
            {
                return new CustomerOutcome.Done(current);
            }

            var emailChanges = !string.Equals(Normalize(current.Email), Normalize(request.Email), StringComparison.Ordinal);
            if (emailChanges && await ClaimEmailAsync(merchantId, request.Email, current.Id, cancellationToken) is { } taken)
            {
                return taken;
            }

            var next = current with { Email = request.Email, Name = request.Name, UpdatedAt = time.GetUtcNow() };
            try
            {
                var response = await table.UpdateEntityAsync(next.ToEntity(), current.ETag, TableUpdateMode.Replace, cancellationToken);
                if (emailChanges)
                {
                    await ReleaseEmailAsync(merchantId, current.Email, current.Id, cancellationToken);
                }

                return new CustomerOutcome.Done(next with { ETag = response.Headers.ETag ?? default });
            }
            catch (RequestFailedException ex) when (ex.Status is 412 or 404)
            {
                // Changed or deleted between our read and write: decide again on what is there now.
            }
        }

        throw new InvalidOperationException($"Customer {id} kept changing under {MaxConflicts} attempts.");
    }

    public async Task<CustomerOutcome> DeleteAsync(
        string merchantId, string id, Func<Customer, bool>? precondition, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxConflicts; attempt++)
        {
            var (current, refusal) = await FindMatchingAsync(merchantId, id, precondition, cancellationToken);
            if (refusal is not null)
            {
                return refusal;
            }

            try
            {
                await table.DeleteEntityAsync(current.Id.PartitionKey, current.Id.Value, current.ETag, cancellationToken);
                await ReleaseEmailAsync(merchantId, current.Email, current.Id, cancellationToken);
                LogDeleted(current.Id.Value);
                return new CustomerOutcome.Done(current);
            }
            catch (RequestFailedException ex) when (ex.Status is 412 or 404)
            {
            }
        }

        throw new InvalidOperationException($"Customer {id} kept changing under {MaxConflicts} attempts.");
    }

    /// <summary>The current customer, or why a change must not go ahead: not found, or the precondition does not hold for it.</summary>
    private async Task<(Customer Current, CustomerOutcome? Refusal)> FindMatchingAsync(
        string merchantId, string id, Func<Customer, bool>? precondition, CancellationToken cancellationToken)
    {
        var current = await FindAsync(merchantId, id, cancellationToken);
        if (current is null)
        {
            return (null!, new CustomerOutcome.NotFound());
        }

        return precondition is not null && !precondition(current)
            ? (current, new CustomerOutcome.PreconditionFailed())
            : (current, null);
    }

    /// <summary>
    /// Claims <paramref name="email"/> for <paramref name="claimant"/>. Fencing: a claim held by another customer is
    /// taken over only after the holder's committed state proves it does not use the email <i>and</i> that state has
    /// been fenced, so no write of the holder decided on an earlier read can still land: an existing holder's ETag is
    /// bumped with a conditional write (its own pending update, conditional on the ETag it read, then fails and decides
    /// again), and a holder that does not exist gets a fence row at its key (its pending create's insert then fails).
    /// The takeover itself is conditional on the claim's ETag, and a claimant that already holds the claim rewrites it
    /// conditionally, so a competitor that fenced it on an earlier read loses.
    /// </summary>
    private async Task<CustomerOutcome?> ClaimEmailAsync(
        string merchantId, string email, CustomerId claimant, CancellationToken cancellationToken, string? retryScope = null)
    {
        var (partition, row) = ClaimKeys(merchantId, email);
        var claim = new TableEntity(partition, row)
        {
            [EntityProperties.Kind] = ClaimKind,
            [EntityProperties.MerchantId] = merchantId,
            [ClaimProperties.CustomerId] = claimant.Value,
            [ClaimProperties.ClaimedAt] = time.GetUtcNow(),
            [ClaimProperties.RetryScope] = retryScope,
        };
        for (var attempt = 0; attempt < MaxConflicts; attempt++)
        {
            try
            {
                await table.AddEntityAsync(claim, cancellationToken);
                return null;
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
            }

            var existing = await table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken);
            if (!existing.HasValue || existing.Value is not { } held)
            {
                continue;
            }

            var holderId = held.GetString(ClaimProperties.CustomerId);
            if (holderId != claimant.Value)
            {
                var holder = holderId is null ? null : await FindAsync(merchantId, holderId, cancellationToken);
                var holderStillUsesEmail = holder is not null && string.Equals(Normalize(holder.Email), Normalize(email), StringComparison.Ordinal);
                var abandoned = holder is null && ((held.GetDateTimeOffset(ClaimProperties.ClaimedAt) is { } claimedAt && time.GetUtcNow() - claimedAt > AbandonedClaimAge)
                    || (retryScope is not null && held.GetString(ClaimProperties.RetryScope) == retryScope));
                if (holderStillUsesEmail || (holder is null && !abandoned))
                {
                    return new CustomerOutcome.EmailTaken(CustomerId.TryParse(holderId, out var taken) ? taken : claimant);
                }

                if (!await FenceAsync(merchantId, holderId, holder, cancellationToken))
                {
                    continue;
                }
            }

            try
            {
                // Ours already (a retry of our own create or replace), or the holder is fenced off it: take it, once.
                await table.UpdateEntityAsync(claim, held.ETag, TableUpdateMode.Replace, cancellationToken);
                return null;
            }
            catch (RequestFailedException ex) when (ex.Status is 412 or 404)
            {
            }
        }

        throw new InvalidOperationException("The email claim kept changing; try again.");
    }

    /// <summary>
    /// Makes the holder's state as read final: false when it changed meanwhile (decide again on what is there now).
    /// </summary>
    private async Task<bool> FenceAsync(string merchantId, string? holderId, Customer? holder, CancellationToken cancellationToken)
    {
        try
        {
            if (holder is not null)
            {
                // Content unchanged; only the ETag moves, which fails any write of the holder made on the read before.
                var touch = new TableEntity(holder.Id.PartitionKey, holder.Id.Value) { [ClaimProperties.EmailFencedAt] = time.GetUtcNow() };
                await table.UpdateEntityAsync(touch, holder.ETag, TableUpdateMode.Merge, cancellationToken);
            }
            else if (CustomerId.TryParse(holderId, out var absent))
            {
                await table.AddEntityAsync(new TableEntity(absent.PartitionKey, absent.Value)
                {
                    [EntityProperties.Kind] = FenceKind,
                    [EntityProperties.MerchantId] = merchantId,
                    [ClaimProperties.FencedAt] = time.GetUtcNow(),
                }, cancellationToken);
            }

            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // The holder's row exists after all: its create landed (decide again), or it is fenced already.
            var row = CustomerId.TryParse(holderId, out var id)
                ? await table.GetEntityIfExistsAsync<TableEntity>(id.PartitionKey, id.Value, cancellationToken: cancellationToken)
                : null;
            return row is { HasValue: true, Value: { } found } && found.GetString(EntityProperties.Kind) == FenceKind;
        }
    }

    /// <summary>Who holds the email now, when this create was fenced off it (its claim was taken over before it landed).</summary>
    private async Task<CustomerId?> ClaimHolderIfFencedAsync(string merchantId, string email, CustomerId id, CancellationToken cancellationToken)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(id.PartitionKey, id.Value, cancellationToken: cancellationToken);
        if (row is not { HasValue: true, Value: { } fence } || fence.GetString(EntityProperties.Kind) != FenceKind)
        {
            return null;
        }

        var (partition, claimRow) = ClaimKeys(merchantId, email);
        var claim = await table.GetEntityIfExistsAsync<TableEntity>(partition, claimRow, cancellationToken: cancellationToken);
        return claim is { HasValue: true, Value: { } held } && CustomerId.TryParse(held.GetString(ClaimProperties.CustomerId), out var holder) ? holder : id;
    }

    private async Task ReleaseEmailAsync(string merchantId, string email, CustomerId holder, CancellationToken cancellationToken)
    {
        var (partition, row) = ClaimKeys(merchantId, email);
        var existing = await table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken);
        if (existing.HasValue && existing.Value is { } held && held.GetString(ClaimProperties.CustomerId) == holder.Value)
        {
            try
            {
                await table.DeleteEntityAsync(partition, row, held.ETag, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status is 412 or 404)
            {
                // Someone took it over meanwhile; theirs now.
            }
        }
    }

    private static string Normalize(string email) => email.Trim().ToUpperInvariant();

    private static (string Partition, string Row) ClaimKeys(string merchantId, string email)
    {
        var hash = StableHash.Hex(merchantId + "\n" + Normalize(email));
        return ("email-" + hash[..StableHash.PartitionLength], hash);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Customer {CustomerId} created")]
    private partial void LogCreated(string customerId);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Customer {CustomerId} deleted")]
    private partial void LogDeleted(string customerId);
}
