using Idempotency.Tables;
using Payments.Core.Payments;
using Payments.Functions.Http;

namespace Payments.Functions.Tests.Http;

public sealed class RequestBodyTests
{
    [Fact]
    public void ReadValid_WhenMetadataWouldNotFitAsStored_ShouldRefuseWith400NamingMetadata()
    {
        var values = string.Join(",", Enumerable.Range(0, 11).Select(i => $"\"k{i}\":\"{new string('<', 500)}\""));
        var body = System.Text.Encoding.UTF8.GetBytes("""{"amount":1999,"currency":"EUR","source":"tok_visa","metadata":{""" + values + "}}");

        var refused = Assert.IsType<BodyReadResult<CreatePaymentRequest>.Refused>(
            RequestBody.ReadValid<CreatePaymentRequest>(body, "application/json", new IdempotencyOptions().MaxRequestBodyBytes));

        Assert.Equal(400, refused.Problem.Status);
        Assert.True(refused.Problem.Errors!.ContainsKey("metadata"));
    }
}
