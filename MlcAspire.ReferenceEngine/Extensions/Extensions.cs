using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.ML.Tokenizers;
using MlcAspire.Models;
using MlcAspire.ReferenceEngine.Apis;
using MlcAspire.ReferenceEngine.Cli;
using MlcAspire.ReferenceEngine.KvCache;
using MlcAspire.ReferenceEngine.Model;
using MlcAspire.ReferenceEngine.Protocol;
using MlcAspire.ReferenceEngine.Serving;
using MlcAspire.ReferenceEngine.Telemetry;
using MlcAspire.ReferenceEngine.Transfer;

namespace MlcAspire.ReferenceEngine.Extensions;

internal static class Extensions
{
    /// <summary>The <c>model_type</c> that selects the timing model instead of the transformer.</summary>
    public const string TimingModelType = "reference-timing";

    /// <summary>Registers the engine: its model, KV cache, engine loop, KV transfer and HTTP surface.</summary>
    public static void AddEngineServices(this IHostApplicationBuilder builder, EngineOptions options)
    {
        // MLC binds where --host/--port say; ASPNETCORE_URLS does not apply.
        builder.Configuration["urls"] = $"http://{options.Host}:{options.Port}";

        var model = MlcModel.Load(options.Model);
        var shape = ModelShape.FromModelConfig(model.Config.ModelConfig, model.Config.VocabSize);
        var limits = EngineLimits.Resolve(options, model.Config, shape, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        var cache = new PagedKvCache(limits.KvPages, shape.KvRowFloats);
        IModelRunner runner = model.Config.ModelType == TimingModelType
            ? new TimingModel(shape.Timing, cache, shape.VocabSize, limits.EosTokenIds, Thread.Sleep)
            : new Transformer(shape, new TransformerWeights(shape), cache, limits.MaxSequenceLength + 1);

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(EngineFaults.Parse(builder.Configuration[EngineFaults.Variable]));
        services.AddSingleton(model);
        services.AddSingleton<Tokenizer>(model.Tokenizer);
        services.AddSingleton(limits);
        services.AddSingleton(cache);
        services.AddSingleton(runner);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EngineMailbox>();
        services.AddSingleton<RequestValidator>();
        services.AddSingleton<FaultInjection>();
        services.AddSingleton<CompletionGateway>();
        var chunkTimesPath = builder.Configuration[ChunkTimeLog.Variable];
        services.AddSingleton(provider => new ChunkTimeLog(
            chunkTimesPath, provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<ChunkTimeLog>>()));
        services.AddHostedService(provider => provider.GetRequiredService<ChunkTimeLog>());
        services.AddSingleton<KvReceiver>();
        services.AddSingleton<KvSender>();
        services.AddSingleton<NvshmemWorld>();
        services.AddHostedService(provider => provider.GetRequiredService<NvshmemWorld>());
        services.AddHostedService<EngineLoop>();

        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, EngineJson.Context));
        services.AddCors(cors => cors.AddDefaultPolicy(policy =>
        {
            policy.WithMethods([.. options.AllowMethods]).WithHeaders([.. options.AllowHeaders]);
            if (options.AllowCredentials)
            {
                // Starlette echoes any origin when credentials are allowed with "*"; ASP.NET refuses a literal "*" there.
                policy.AllowCredentials();
                if (options.AllowOrigins.Contains("*"))
                {
                    policy.SetIsOriginAllowed(_ => true);
                    return;
                }
            }

            policy.WithOrigins([.. options.AllowOrigins]);
        }));
    }
}
