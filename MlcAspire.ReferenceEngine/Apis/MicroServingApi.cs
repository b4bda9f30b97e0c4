using MlcAspire.ReferenceEngine.Cli;
using MlcAspire.ReferenceEngine.Protocol;
using MlcAspire.ReferenceEngine.Serving;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>
/// The MicroServing endpoints (mlc-protocol.md §4): <c>prep_recv</c> and <c>start_generate</c> on the decode engine,
/// <c>remote_send</c> on the prefill engine. Every body is a full completion request plus the window fields.
/// </summary>
/// <remarks>
/// Unlike MLC, whose window checks are fatal ICHECKs in the engine thread, a violation here is answered with a
/// 400 and logged, and the engine stays healthy.
/// </remarks>
internal static class MicroServingApi
{
    public static RouteGroupBuilder MapMicroServingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/microserving").WithTags("MicroServing");
        api.MapPost("/prep_recv", PrepareReceiveAsync).WithName("PrepRecv").WithSummary("Reserves KV slots for [prefix_matched_length:end] and parks the request.");
        api.MapPost("/remote_send", RemoteSendAsync).WithName("RemoteSend").WithSummary("Computes the KV of [0:end] and pushes rows [begin:end] to recv_rank.");
        api.MapPost("/start_generate", StartGenerateAsync).WithName("StartGenerate").WithSummary("Finishes the parked prompt from begin and generates.");
        return api;
    }

    public static async Task<IResult> PrepareReceiveAsync(
        HttpContext context, CompletionGateway gateway, RequestValidator validator, EngineFaults faults, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (request, prepared, error) = await ReadAsync(context, validator, nameof(CompletionRequest.End), cancellationToken);
        if (prepared is null)
        {
            return error!;
        }

        var ticket = gateway.Submit(request!.User!, RequestKind.PrepareReceive, prepared with { Settings = prepared.Settings with { N = 1 } }, request, cancellationToken);
        var answer = await AwaitAsync(gateway, ticket, cancellationToken);
        if (answer is ReceivePreparedEvent && faults.StallPrepRecv > TimeSpan.Zero)
        {
            // Test fault: a decode engine that reserved the slots but is slow to answer, so a test can act in this phase.
            // The slots stay parked if the caller leaves meanwhile, as MLC's do: MicroServing has no abort call (mlc-protocol.md §4.7).
            await Task.Delay(faults.StallPrepRecv, timeProvider, cancellationToken);
        }

        return answer switch
        {
            ReceivePreparedEvent reserved => TypedResults.Json(new PrepRecvResponse(reserved.KvAppendMetadata, reserved.PrefixMatchedLength), EngineJson.Context.PrepRecvResponse),
            RejectedEvent rejected => EngineResults.BadRequest(rejected.Message),
            _ => EngineResults.BadRequest("The request ended before this step completed (disconnected, or out of KV cache pages)."),
        };
    }

    public static async Task<IResult> RemoteSendAsync(
        HttpContext context, CompletionGateway gateway, RequestValidator validator, EngineFaults faults, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (request, prepared, error) = await ReadAsync(context, validator, nameof(CompletionRequest.KvAddrInfo), cancellationToken);
        if (prepared is null)
        {
            return error!;
        }

        if (faults.StallRemoteSend > TimeSpan.Zero)
        {
            // Test fault: a prefill engine that is slow to push, so a test can act while the handoff is in this phase.
            await Task.Delay(faults.StallRemoteSend, timeProvider, cancellationToken);
        }

        var ticket = gateway.Submit(request!.User!, RequestKind.RemoteSend, prepared with { Settings = prepared.Settings with { N = 1 } }, request, cancellationToken);
        return await AwaitAsync(gateway, ticket, cancellationToken) switch
        {
            SendCompletedEvent => TypedResults.Json(new RemoteSendResponse(), EngineJson.Context.RemoteSendResponse),
            RejectedEvent rejected => EngineResults.BadRequest(rejected.Message),
            _ => EngineResults.BadRequest("The request ended before this step completed (disconnected, or out of KV cache pages)."),
        };
    }

    public static async Task<IResult> StartGenerateAsync(HttpContext context, CompletionGateway gateway, RequestValidator validator, CancellationToken cancellationToken)
    {
        var (request, prepared, error) = await ReadAsync(context, validator, nameof(CompletionRequest.Begin), cancellationToken);
        if (prepared is null)
        {
            return error!;
        }

        var ticket = gateway.Submit(request!.User!, RequestKind.StartGeneration, prepared, request, cancellationToken);
        return await gateway.RespondAsync(context, request, new TextCompletionShape(request, prepared), ticket, cancellationToken);
    }

    private static async Task<(CompletionRequest? Request, PreparedCompletion? Prepared, IResult? Error)> ReadAsync(
        HttpContext context, RequestValidator validator, string step, CancellationToken cancellationToken)
    {
        var (request, error) = await CompletionRequestReader.ReadAsync(context.Request, cancellationToken);
        if (request is null)
        {
            return (null, null, error);
        }

        var missing = Required(request, step);
        if (missing.Count > 0)
        {
            return (null, null, EngineResults.Validation([.. missing.Select(field => EngineResults.Invalid(field, "missing", "Field required", null))]));
        }

        // MLC erases disagg_config without --enable-debug, so MicroServing cannot work there (mlc-protocol.md §3).
        if (!validator.DebugEnabled)
        {
            return (null, null, EngineResults.BadRequest("MicroServing requires the engine to run with --enable-debug."));
        }

        if (string.IsNullOrEmpty(request.User))
        {
            return (null, null, EngineResults.BadRequest("MicroServing requests need \"user\": the request id shared by prep_recv, remote_send and start_generate."));
        }

        var (prepared, invalid) = validator.Prepare(request);
        return (request, prepared, invalid);
    }

    private static List<string> Required(CompletionRequest request, string step) => step switch
    {
        nameof(CompletionRequest.End) => request.End is null ? ["end"] : [],
        nameof(CompletionRequest.Begin) => request.Begin is null ? ["begin"] : [],
        _ => [.. new (string Name, bool Missing)[]
        {
            ("begin", request.Begin is null),
            ("end", request.End is null),
            ("kv_addr_info", request.KvAddrInfo is null),
            ("recv_rank", request.RecvRank is null),
        }.Where(f => f.Missing).Select(f => f.Name)],
    };

    private static async Task<EngineEvent?> AwaitAsync(CompletionGateway gateway, EngineTicket ticket, CancellationToken cancellationToken)
    {
        try
        {
            return await CompletionGateway.NextAsync(ticket, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            gateway.Abort(ticket);
            return null;
        }
    }
}
