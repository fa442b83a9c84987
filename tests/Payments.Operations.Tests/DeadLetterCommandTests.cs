using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Payments;
using Payments.Core.Storage;

namespace Payments.Operations.Tests;

/// <summary>The operator's dead-letter commands against real Azurite (PAYMENTS_TEST_STORAGE, started by scripts/test.sh).</summary>
public sealed class DeadLetterCommandTests : IAsyncLifetime
{
    private readonly StorageClientFactory _clients = new(new StorageConnection.ConnectionString(
        Environment.GetEnvironmentVariable("PAYMENTS_TEST_STORAGE") is { Length: > 0 } value ? value : "UseDevelopmentStorage=true"));

    private readonly TableClient _table;
    private readonly QueueClient _queue;
    private readonly PaymentDeadLetters _store;
    private string _output = string.Empty;
    private string _error = string.Empty;

    public DeadLetterCommandTests()
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        _table = _clients.GetTableClient("dead" + suffix);
        _queue = _clients.GetQueueClient("payments-" + suffix);
        _store = new PaymentDeadLetters(_table, _queue, TimeProvider.System, NullLogger<PaymentDeadLetters>.Instance);
    }

    public async Task InitializeAsync()
    {
        await _table.CreateIfNotExistsAsync();
        await _queue.CreateIfNotExistsAsync();
    }

    public async Task DisposeAsync()
    {
        await _table.DeleteAsync();
        await _queue.DeleteIfExistsAsync();
    }

    [Fact]
    public async Task List_WhenMessagesWereParked_ShouldPrintEachIdReasonAndOriginalText()
    {
        await _store.ParkAsync("m-1", "this is not JSON", "The message is not JSON.", CancellationToken.None);
        await _store.ParkAsync("m-2", """{"v":2}""", "Its schema version 2 is unknown.", CancellationToken.None);

        var exit = await RunAsync("dead-letters", "list");

        Assert.Equal(0, exit);
        var lines = _output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, line => line.StartsWith("m-1\t", StringComparison.Ordinal) && line.EndsWith("\tThe message is not JSON.\tthis is not JSON", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("m-2\t", StringComparison.Ordinal) && line.EndsWith("""{"v":2}""", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Park_WhenTheSameMessageIsParkedAgain_ShouldKeepTheFirstRow()
    {
        await _store.ParkAsync("m-1", "first", "first reason", CancellationToken.None);

        await _store.ParkAsync("m-1", "second", "second reason", CancellationToken.None);

        var letter = Assert.Single(await _store.ListAsync(CancellationToken.None));
        Assert.Equal(("first", "first reason"), (letter.Text, letter.Reason));
    }

    [Fact]
    public async Task Requeue_WhenTheMessageIsParked_ShouldPutTheOriginalTextBackOnThePaymentsQueueAndRemoveTheRow()
    {
        await _store.ParkAsync("m-1", """{"v":1,"paymentId":"pay_x"}""", "The gateway was down for good.", CancellationToken.None);

        var exit = await RunAsync("dead-letters", "requeue", "m-1");

        Assert.Equal(0, exit);
        var message = Assert.Single((await _queue.ReceiveMessagesAsync(32)).Value);
        Assert.Equal("""{"v":1,"paymentId":"pay_x"}""", message.Body.ToString());
        Assert.Empty(await _store.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Requeue_WhenNoMessageHasTheId_ShouldExit1SayingHowToFindIds()
    {
        var exit = await RunAsync("dead-letters", "requeue", "nope");

        Assert.Equal(1, exit);
        Assert.Contains("'dead-letters list' shows the ids", _error, StringComparison.Ordinal);
        Assert.Equal(0, (await _queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Theory]
    [InlineData]
    [InlineData("dead-letters")]
    [InlineData("dead-letters", "purge")]
    [InlineData("dead-letters", "requeue")]
    public async Task Run_WhenTheCommandIsIncomplete_ShouldExit2WithUsage(params string[] args)
    {
        var exit = await RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains("Usage:", _error, StringComparison.Ordinal);
    }

    private async Task<int> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await DeadLetterCommand.RunAsync(args, _store, output, error, CancellationToken.None);
        (_output, _error) = (output.ToString(), error.ToString());
        return exit;
    }
}
