using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using MlcAspire.AppHost.Planning;
using MlcAspire.AppHost.Publishing;
using MlcAspire.AppHost.Topology;
using NJsonSchema;

namespace MlcAspire.Tests.Unit.AppHost;

[Trait("Category", "Unit")]
public sealed class ManifestWriterTests
{
    private static readonly ProgramPaths s_paths = new("/repo/bin/MlcAspire.Router.dll", "/repo/bin/MlcAspire.ReferenceEngine.dll", "/repo", "/repo/bin/MlcAspire.AppHost.dll");

    /// <summary>
    /// Loads the Aspire 8.0 manifest schema (dotnet/aspire src/Schema/aspire-8.0.json, MIT), the one azd reads
    /// manifests by. NJsonSchema reads neither draft-07 boolean subschemas (container.v0 says <c>"build": false</c>)
    /// nor <c>const</c> (which tells project.v0 from project.v1), so both become their exact equivalents first:
    /// <c>true</c> is <c>{}</c>, <c>false</c> is <c>{"not": {}}</c>, <c>"const": x</c> is <c>"enum": [x]</c>.
    /// </summary>
    internal static async Task<JsonSchema> LoadAspireSchemaAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Unit", "AppHost", "aspire-8.0.json");
        var schema = JsonNode.Parse(await File.ReadAllTextAsync(path, cancellationToken))!;
        ReplaceUnsupportedKeywords(schema);
        return await JsonSchema.FromJsonAsync(schema.ToJsonString(), cancellationToken);
    }

    [Theory]
    [InlineData("--engine-kind mlc --endpoint-ports 9001 9002 9003 --endpoint-num-gpus 2 2 4 --pd-balance-factor 0.1 --enable-prefix-cache")]
    [InlineData("--router-mode round-robin --endpoint-ports 8080 8081 8082")]
    [InlineData("")]
    public async Task Manifest_IsValidAgainstTheAspireSchema(string args)
    {
        var schema = await LoadAspireSchemaAsync(TestContext.Current.CancellationToken);

        var manifest = Manifest(args);

        Assert.Empty(schema.Validate(manifest.ToJsonString()));
    }

    [Fact]
    public async Task SchemaCheck_RejectsArgsOnADockerfileResource()
    {
        var schema = await LoadAspireSchemaAsync(TestContext.Current.CancellationToken);
        var manifest = Manifest("--engine-kind mlc");
        manifest["resources"]!["engine-0"]!["args"] = new JsonArray("--port", "8080");

        Assert.NotEmpty(schema.Validate(manifest.ToJsonString()));
    }

    [Fact]
    public void MlcEngines_AreDockerfileResourcesWithTheirServeArgumentsAndGpuCount()
    {
        var engine = Manifest("--engine-kind mlc --endpoint-ports 9001 9002 --endpoint-num-gpus 2 4")["resources"]!["engine-1"]!;

        Assert.Equal("dockerfile.v0", (string?)engine["type"]);
        Assert.Equal("../deploy/mlc-engine/Dockerfile", (string?)engine["path"]);
        Assert.Equal("../deploy/mlc-engine", (string?)engine["context"]);
        Assert.Equal("4", (string?)engine["env"]!["MLC_NUM_GPUS"]);
        Assert.Equal("4", (string?)engine["buildArgs"]!["MLC_NUM_GPUS"]);
        Assert.Equal(
            "models/reference-tiny --device cuda:0 --enable-debug --mode server --speculative-mode disable --prefix-cache-mode disable --overrides gpu_memory_utilization=0.8;spec_draft_length=0 --host 0.0.0.0 --port 9002",
            (string?)engine["env"]!["MLC_SERVE_ARGS"]);
        Assert.Equal(9002, (int?)engine["bindings"]!["http"]!["targetPort"]);
    }

    [Fact]
    public void Router_ReachesEnginesThroughBindingExpressions()
    {
        var router = Manifest("--endpoint-ports 8080 8081")["resources"]!["router"]!;

        Assert.Equal("project.v0", (string?)router["type"]);
        Assert.Equal("../MlcAspire.Router/MlcAspire.Router.csproj", (string?)router["path"]);
        Assert.Equal("{engine-0.bindings.http.url}", (string?)router["env"]!["services__engine-0__http__0"]);
        Assert.Equal("{engine-1.bindings.http.url}", (string?)router["env"]!["services__engine-1__http__0"]);
        Assert.Equal("Decode", (string?)router["env"]!["Router__Engines__1__Role"]);
        Assert.Null(router["env"]!["ASPNETCORE_URLS"]);
        Assert.Null(router["env"]!["ASPNETCORE_CONTENTROOT"]);
        Assert.True((bool?)router["bindings"]!["http"]!["external"]);
    }

    [Theory]
    [InlineData("/home/me/llm/Llama-3-8B-MLC --model-lib /home/me/llm/Llama-3-8B-MLC/lib/cuda.so", "models/Llama-3-8B-MLC --model-lib models/Llama-3-8B-MLC/lib/cuda.so")]
    [InlineData("/home/me/llm/Llama-3-8B-MLC/ --model-lib /opt/libs/llama-cuda.so", "models/Llama-3-8B-MLC --model-lib models/llama-cuda.so")]
    [InlineData("dist/Llama-3-8B-MLC --model-lib dist/libs/llama-cuda.so", "models/Llama-3-8B-MLC --model-lib models/llama-cuda.so")]
    [InlineData("HF://mlc-ai/Llama-3-8B-MLC", "HF://mlc-ai/Llama-3-8B-MLC")]
    public void MlcEngines_NameTheModelAndLibAsTheContainerSeesThem_NotAsThisMachineDoes(string model, string expectedStart)
    {
        var resources = Manifest($"{model} --engine-kind mlc --router-mode round-robin")["resources"]!;

        var serveArgs = (string?)resources["engine-0"]!["env"]!["MLC_SERVE_ARGS"];
        Assert.StartsWith($"{expectedStart} --device cuda:0 ", serveArgs, StringComparison.Ordinal);
        Assert.DoesNotContain("/home/", serveArgs, StringComparison.Ordinal);
        Assert.Equal(expectedStart.Split(' ')[0], (string?)resources["router"]!["env"]!["Router__Model"]);
    }

    [Fact]
    public void OtlpEndpointOfThisMachine_StaysOutOfTheManifest()
    {
        // AppHostCommand reads configuration from the environment too, where a developer's own collector lives.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317",
        }).Build();

        var manifest = Manifest("--engine-kind mlc", configuration).ToJsonString();

        Assert.DoesNotContain("OTEL_EXPORTER_OTLP_ENDPOINT", manifest, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", manifest, StringComparison.Ordinal);
    }

    [Fact]
    public void OtlpEndpointOfTheTopology_GoesToEveryResource()
    {
        var resources = Manifest("--engine-kind mlc --otlp-endpoint http://otel-collector:4317")["resources"]!.AsObject();

        Assert.All(resources, r => Assert.Equal("http://otel-collector:4317", (string?)r.Value!["env"]!["OTEL_EXPORTER_OTLP_ENDPOINT"]));
    }

    [Theory]
    [InlineData("--engine-kind mlc", 1)]
    [InlineData("", 1)]
    [InlineData("--engine-kind mlc --router-mode round-robin", 0)]
    public void DisaggTopology_IsPublishedWithAWarningThatItsEnginesHaveNoNvshmemWorld(string args, int expectedWarnings)
    {
        var read = TopologyReader.Read(args.Split(' ', StringSplitOptions.RemoveEmptyEntries), new ConfigurationBuilder().Build());
        var plan = PlanBuilder.Build(read.Options!.Topology, s_paths, "/repo");

        var warnings = ManifestWriter.Warnings(plan);

        Assert.Equal(expectedWarnings, warnings.Count);
        Assert.All(warnings, w => Assert.StartsWith("--router-mode disagg: the manifest's engines have no NVSHMEM world", w, StringComparison.Ordinal));
    }

    private static void ReplaceUnsupportedKeywords(JsonNode node)
    {
        if (node is JsonObject schema)
        {
            if (schema["const"] is { } constant)
            {
                schema.Remove("const");
                schema["enum"] = new JsonArray(constant.DeepClone());
            }

            if (schema["properties"] is JsonObject properties)
            {
                foreach (var (name, value) in properties.ToList())
                {
                    if (value is JsonValue flag && flag.TryGetValue<bool>(out var allowed))
                    {
                        properties[name] = allowed ? new JsonObject() : new JsonObject { ["not"] = new JsonObject() };
                    }
                }
            }

            foreach (var (_, child) in schema.ToList())
            {
                if (child is not null)
                {
                    ReplaceUnsupportedKeywords(child);
                }
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array.OfType<JsonNode>())
            {
                ReplaceUnsupportedKeywords(child);
            }
        }
    }

    private static JsonObject Manifest(string args) => Manifest(args, new ConfigurationBuilder().Build());

    private static JsonObject Manifest(string args, IConfiguration configuration)
    {
        var read = TopologyReader.Read(args.Split(' ', StringSplitOptions.RemoveEmptyEntries), configuration);
        var plan = PlanBuilder.Build(read.Options!.Topology, s_paths, "/repo");
        return ManifestWriter.Build(plan, read.Options.Topology.EngineKind, s_paths, "/repo/publish");
    }
}
