using MlcAspire.ReferenceEngine.Apis;
using MlcAspire.ReferenceEngine.Cli;
using MlcAspire.ReferenceEngine.Extensions;

// The arguments are mlc_llm serve's, not configuration: they are parsed once, here, into EngineOptions.
var options = await EngineStartup.ParseOrExitAsync(args);

var builder = WebApplication.CreateBuilder();

builder.AddServiceDefaults();
builder.AddEngineServices(options);
builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseCors();

app.MapDefaultEndpoints();
app.MapModelsApi();
app.MapCompletionsApi();
app.MapMicroServingApi();
app.MapMetricsApi();

await app.RunAsync();
