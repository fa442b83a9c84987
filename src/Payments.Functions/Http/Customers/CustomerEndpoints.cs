using Idempotency.Tables;
using Payments.Core.Customers;

namespace Payments.Functions.Http.Customers;

/// <summary>What each customers route answers.</summary>
public sealed class CustomerEndpoints(CustomerService customers)
{
    public const string CollectionPath = "/api/v1/customers";

    public async Task<ApiResponse> CreateAsync(
        string merchantId, IdempotencyLease lease, CustomerRequest request, string? traceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var create = new LeasedCreate(lease, 201, CollectionPath);
        // The id stays the same across a takeover (the taker finds the email claim the crashed attempt made for it) and
        // is new when the key starts over after its retention, so the old customer is never touched.
        var id = CustomerId.Derive(lease.PartitionKey, lease.ResourceSeed);
        var outcome = await customers.CreateAsync(merchantId, id, request, lease.RecordKey.ScopeHash,
            (customer, batch, ct) => create.CommitAsync(CustomerResource.From(customer).ToJson(), customer.Id.Value, batch, ct), cancellationToken);
        return outcome switch
        {
            CustomerOutcome.Done => create.Answer!,
            CustomerOutcome.EmailTaken taken => EmailTaken(taken, CollectionPath, traceId) with { Retention = ResponseRetention.Final },
            // The idempotency layer answers 409 in progress for the attempt that took the key over.
            CustomerOutcome.Superseded => create.Superseded(traceId),
            _ => throw new InvalidOperationException("Unknown customer outcome."),
        };
    }

    public async Task<ApiResponse> GetAsync(string merchantId, string id, string? ifNoneMatch, string? traceId, CancellationToken cancellationToken)
    {
        var customer = await customers.FindAsync(merchantId, id, cancellationToken);
        if (customer is null)
        {
            return NotFound(id, traceId);
        }

        var json = CustomerResource.From(customer).ToJson();
        var etag = StrongETag.For(json);
        return StrongETag.Matches(ifNoneMatch, etag) ? ApiResponse.NotModified(etag) : ApiResponse.Resource(200, json, etag);
    }

    public async Task<ApiResponse> ReplaceAsync(
        string merchantId, string id, CustomerRequest request, string? ifMatch, string? traceId, CancellationToken cancellationToken) =>
        await customers.ReplaceAsync(merchantId, id, request, IfMatch(ifMatch), cancellationToken) switch
        {
            CustomerOutcome.Done done => Representation(done.Customer),
            CustomerOutcome.NotFound => NotFound(id, traceId),
            CustomerOutcome.EmailTaken taken => EmailTaken(taken, $"{CollectionPath}/{id}", traceId),
            CustomerOutcome.PreconditionFailed => PreconditionFailed(id, traceId),
            _ => throw new InvalidOperationException("Unknown customer outcome."),
        };

    public async Task<ApiResponse> DeleteAsync(string merchantId, string id, string? ifMatch, string? traceId, CancellationToken cancellationToken) =>
        await customers.DeleteAsync(merchantId, id, IfMatch(ifMatch), cancellationToken) switch
        {
            CustomerOutcome.Done => ApiResponse.NoContent(),
            CustomerOutcome.NotFound => NotFound(id, traceId),
            CustomerOutcome.PreconditionFailed => PreconditionFailed(id, traceId),
            _ => throw new InvalidOperationException("Unknown customer outcome."),
        };

    private static ApiResponse Representation(Customer customer)
    {
        var json = CustomerResource.From(customer).ToJson();
        return ApiResponse.Resource(200, json, StrongETag.For(json));
    }

    /// <summary>If-Match as the service's precondition: the customer's current representation carries one of the named tags.</summary>
    private static Func<Customer, bool>? IfMatch(string? ifMatch) =>
        ifMatch is null ? null : current => StrongETag.Matches(ifMatch, StrongETag.For(CustomerResource.From(current).ToJson()));

    private static ApiResponse NotFound(string id, string? traceId) =>
        ApiResponse.Problem(ApiProblems.NotFound("customer"), $"{CollectionPath}/{id}", traceId);

    private static ApiResponse EmailTaken(CustomerOutcome.EmailTaken taken, string instance, string? traceId) =>
        ApiResponse.Problem(ApiProblems.EmailTaken(taken.ExistingCustomer.Value), instance, traceId);

    private static ApiResponse PreconditionFailed(string id, string? traceId) =>
        ApiResponse.Problem(ApiProblems.CustomerChanged(), $"{CollectionPath}/{id}", traceId);
}
