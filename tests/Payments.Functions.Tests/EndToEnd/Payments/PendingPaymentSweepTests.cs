using Payments.Core.Payments;

namespace Payments.Functions.Tests.EndToEnd.Payments;

/// <summary>An app whose sweeper runs every 2 s and re-enqueues payments pending for 5 s.</summary>
public sealed class FastSweepFixture : PaymentsAppFixture
{
    protected override void Configure(Dictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["Payments:SweepSchedule"] = "*/2 * * * * *";
        settings["Payments:SweepAfterSeconds"] = "5";
    }
}

/// <summary>The transactional outbox's completer, end to end: nothing accepted is stranded without its message.</summary>
public sealed class PendingPaymentSweepTests(FastSweepFixture fixture) : IClassFixture<FastSweepFixture>
{
    [Fact]
    public async Task SweepPendingPayments_WhenAPaymentWasStoredButItsMessageWasLost_ShouldEnqueueItAndItShouldBeCharged()
    {
        var settings = fixture.Settings;
        // What a crash between PaymentService's write and its enqueue leaves: a pending payment and no message.
        var id = await settings.InsertPaymentAsync("merchant-1", PaymentStatus.Pending);

        // The completer finds it within two full passes over the 4,096 partitions (the pass under way may be past its
        // partition already); through the strict storage proxy on a loaded 2-core machine a pass can take tens of seconds.
        var payment = await fixture.App.WaitForTerminalAsync(settings.Token(), id.Value, TimeSpan.FromSeconds(120));

        Assert.Equal("succeeded", payment.GetProperty("status").GetString());
        Assert.Equal(1, await settings.LedgerEntriesAsync(id.Value));
        Assert.Contains(fixture.App.Logs, line => line.Contains(id.Value, StringComparison.Ordinal) && line.Contains("enqueued it again", StringComparison.Ordinal));
    }
}
