using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Payments.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.AddPaymentsFunctions();
using var host = builder.Build();
await host.RunAsync();
