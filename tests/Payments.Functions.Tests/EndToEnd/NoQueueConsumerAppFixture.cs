namespace Payments.Functions.Tests.EndToEnd;

/// <summary>
/// An app whose queue consumer (ProcessPayment) is switched off, so the payments queue keeps every message the HTTP
/// functions enqueued: "the queue is empty" then means nothing was ever enqueued, and messages can be counted.
/// </summary>
public class NoQueueConsumerAppFixture : PaymentsAppFixture
{
    protected override void Configure(Dictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["AzureWebJobs.ProcessPayment.Disabled"] = "true";
    }
}
