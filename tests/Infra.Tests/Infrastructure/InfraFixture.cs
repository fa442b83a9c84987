using System.Text.Json.Nodes;

namespace Infra.Tests.Infrastructure;

/// <summary>
/// Runs the Bicep CLI once per test run over a copy of infra/: every check of scripts/check-infra.sh, the
/// compiled ARM template, and the snapshot of the resources a deployment of main.bicepparam would create.
/// </summary>
public sealed class InfraFixture : IAsyncLifetime
{
    private readonly InfraWorkspace _workspace = InfraWorkspace.CopyOfRepository();
    private JsonObject? _template;
    private TemplateSnapshot? _snapshot;

    public IReadOnlyList<string> CheckProblems { get; private set; } = [];

    public JsonObject Template => _template ?? throw new InvalidOperationException(
        "main.bicep did not compile:" + Environment.NewLine + string.Join(Environment.NewLine, CheckProblems));

    public TemplateSnapshot Snapshot => _snapshot ?? throw new InvalidOperationException("The snapshot was not taken.");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var check = _workspace.CheckAsync(timeout.Token);
        var snapshot = _workspace.SnapshotAsync(timeout.Token);
        (_template, CheckProblems) = await check;
        _snapshot = await snapshot;
    }

    public Task DisposeAsync()
    {
        _workspace.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class InfraCollection : ICollectionFixture<InfraFixture>
{
    public const string Name = "Compiled infra";
}
