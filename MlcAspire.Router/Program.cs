using MlcAspire.Router.Apis;
using MlcAspire.Router.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRouterServices();
builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseRouterReliability();

app.MapDefaultEndpoints();
app.MapPrometheusMetrics();
app.MapCompletionsApi();
app.MapRouterStatusApi();
app.MapRouterEngineAdminApi();

app.Run();
