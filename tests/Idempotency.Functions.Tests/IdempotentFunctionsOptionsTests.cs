using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Idempotency.Functions.Tests;

/// <summary>The start-time check that every [Idempotent] function has a record table, and every record table a function.</summary>
public sealed class IdempotentFunctionsOptionsTests
{
    private static IdempotentFunctionsOptions Resolve(Action<IdempotentFunctionsOptions> configure)
    {
        using var provider = new ServiceCollection().AddIdempotentFunctions(options =>
        {
            options.Subject = _ => "caller";
            options.FunctionsAssembly = typeof(SampleFunctions).Assembly;
            configure(options);
        }).Services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<IdempotentFunctionsOptions>>().Value;
    }

    private static void Register(IdempotentFunctionsOptions options)
    {
        options.RecordTables[nameof(SampleFunctions.CreateThing)] = "things";
        options.RecordTables[nameof(SampleFunctions.CreateOther)] = "others";
    }

    [Fact]
    public void Validate_WhenEveryIdempotentFunctionHasATable_ShouldListEachTableOnce()
    {
        var options = Resolve(options =>
        {
            Register(options);
            options.RecordTables[nameof(SampleFunctions.CreateOther)] = "Things";
        });

        Assert.Equal(["things"], options.Tables());
    }

    [Fact]
    public void Validate_WhenAnIdempotentFunctionHasNoTable_ShouldRefuseToStartNamingIt()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Resolve(options => options.RecordTables[nameof(SampleFunctions.CreateThing)] = "things"));

        Assert.Contains($"Function '{nameof(SampleFunctions.CreateOther)}' is [Idempotent] but no table keeps its records", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(SampleFunctions.ReadThing))]
    [InlineData("NoSuchFunction")]
    public void Validate_WhenATableIsRegisteredForANonIdempotentFunction_ShouldRefuseToStart(string function)
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Resolve(options =>
        {
            Register(options);
            options.RecordTables[function] = "things";
        }));

        Assert.Contains($"registered for function '{function}', which is not an [Idempotent] function", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenATableNameIsInvalid_ShouldRefuseToStart()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Resolve(options =>
        {
            Register(options);
            options.RecordTables[nameof(SampleFunctions.CreateThing)] = "no-dashes";
        }));

        Assert.Contains("'no-dashes' of function 'CreateThing' is not a valid table name", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenTheCallerIsNotSet_ShouldRefuseToStart()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Resolve(options =>
        {
            Register(options);
            options.Subject = null;
        }));

        Assert.Contains("Subject is not set", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenTheFunctionsAssemblyIsNotSet_ShouldRefuseToStart()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Resolve(options =>
        {
            Register(options);
            options.FunctionsAssembly = null;
        }));

        Assert.Contains("FunctionsAssembly is not set", failure.Message, StringComparison.Ordinal);
    }
}

/// <summary>Functions as an app declares them; only their attributes matter here.</summary>
public sealed class SampleFunctions
{
    [Function(nameof(CreateThing))]
    [Idempotent(IdempotencyMode.Claimless)]
    public static void CreateThing()
    {
    }

    [Function(nameof(CreateOther))]
    [Idempotent]
    public static void CreateOther()
    {
    }

    [Function(nameof(ReadThing))]
    public static void ReadThing()
    {
    }
}
