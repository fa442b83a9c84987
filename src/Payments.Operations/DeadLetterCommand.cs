using System.Globalization;
using Payments.Core.Payments;

namespace Payments.Operations;

/// <summary><c>dead-letters list</c> and <c>dead-letters requeue &lt;message id&gt;</c>: what an operator does with parked messages.</summary>
public static class DeadLetterCommand
{
    public const string Usage = """
        Usage: dotnet run --project src/Payments.Operations -- dead-letters list
               dotnet run --project src/Payments.Operations -- dead-letters requeue <message id>
        Storage: PaymentsStorage (a connection string), Storage__DeadLettersTable (default deadletters),
                 Storage__PaymentsQueue (default payments), from the environment.
        """;

    /// <summary>Runs the command; returns the process exit code (0 done, 1 not found, 2 usage).</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, PaymentDeadLetters store, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        switch (args)
        {
            case ["dead-letters", "list"]:
                var letters = await store.ListAsync(cancellationToken);
                foreach (var letter in letters.OrderBy(letter => letter.ParkedAt))
                {
                    // Tab-separated, one per line: message id, when, why, the original text (as stored).
                    await output.WriteLineAsync(string.Join('\t',
                        letter.MessageId, letter.ParkedAt.ToString("o", CultureInfo.InvariantCulture), letter.Reason, letter.Text));
                }

                await error.WriteLineAsync($"{letters.Count} dead-lettered payment message(s).");
                return 0;
            case ["dead-letters", "requeue", { Length: > 0 } messageId]:
                switch (await store.RequeueAsync(messageId, cancellationToken))
                {
                    case RequeueOutcome.Requeued:
                        await output.WriteLineAsync($"Message {messageId} is back on the payments queue.");
                        return 0;
                    default:
                        await error.WriteLineAsync($"No dead-lettered message has id '{messageId}'. 'dead-letters list' shows the ids.");
                        return 1;
                }

            default:
                await error.WriteLineAsync(Usage);
                return 2;
        }
    }
}
