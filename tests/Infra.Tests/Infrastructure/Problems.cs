namespace Infra.Tests.Infrastructure;

public static class Problems
{
    /// <summary>Passes when a rule found nothing; otherwise fails with every finding, one per line.</summary>
    public static void AssertNone(IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
