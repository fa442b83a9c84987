using Azure.Data.Tables;
using Functions.LocalHost.SampleApp;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddSingleton(services =>
{
    var configuration = services.GetRequiredService<IConfiguration>();
    var connection = configuration["SampleStorage"]
        ?? throw new InvalidOperationException("Set SampleStorage to the storage connection string the sample records into.");
    var table = configuration["Sample:ResultsTable"]
        ?? throw new InvalidOperationException("Set Sample:ResultsTable to the table the sample records into.");
    return new Recorder(new TableClient(connection, table));
});
using var host = builder.Build();
await host.RunAsync();
