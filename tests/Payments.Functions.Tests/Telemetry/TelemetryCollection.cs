namespace Payments.Functions.Tests.Telemetry;

/// <summary>
/// Tests that assert on the app's (process-wide) instruments while running its code in this process: they run alone,
/// so no other test adds to the same counters meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "In-process telemetry";
}
