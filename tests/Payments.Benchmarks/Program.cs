using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Payments.Benchmarks;

if (args is ["--interleaved"])
{
    await InterleavedComparison.RunAsync();
    return 0;
}

// In-process: the generated out-of-process project would inherit the repository's analyzers and warnings-as-errors.
// A short job with more iterations than ShortRun's 3: the two paths are compared side by side in one process, and
// the extra iterations keep the ratio readable on a busy 2-core machine.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithWarmupCount(5).WithIterationCount(15).WithToolchain(InProcessEmitToolchain.Instance))
    // Min and median next to the mean: other processes on a shared machine only ever add time, so the minimum is the
    // least disturbed figure of each path.
    .AddColumn(StatisticColumn.Min, StatisticColumn.Median)
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(Payments.Benchmarks.JwtVerificationBenchmarks).Assembly).Run(args, config);
return 0;
