namespace MlcAspire.Router.Apis;

/// <summary>Runs a validated completion when the endpoint's result executes: streamed or joined, see <see cref="CompletionRelay"/>.</summary>
public sealed class CompletionResult(CompletionRequest request, CompletionRelay relay) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext) => relay.RelayAsync(httpContext, request, httpContext.RequestAborted);
}
