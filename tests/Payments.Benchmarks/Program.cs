using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process: the generated out-of-process project would inherit the repository's analyzers and warnings-as-errors.
// Short run: a few iterations are enough to compare two paths measured side by side in the same process.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(Payments.Benchmarks.JwtVerificationBenchmarks).Assembly).Run(args, config);
