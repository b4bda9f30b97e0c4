global using System.Text.Json;
global using System.Text.Json.Nodes;
global using MlcAspire.Router.Forwarding;
global using MlcAspire.Router.Protocol;
global using MlcAspire.Router.Scheduling;
global using MlcAspire.Router.Telemetry;
global using Microsoft.Extensions.Options;
global using Microsoft.Extensions.DependencyInjection.Extensions;
