using MlcAspire.ReferenceEngine.Cli;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary><c>--api-key</c>: a bearer check on the OpenAI routes only (mlc-protocol.md §2.1).</summary>
internal sealed class ApiKeyFilter(EngineOptions options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (options.ApiKey is { } key && context.HttpContext.Request.Headers.Authorization.ToString() != "Bearer " + key)
        {
            return EngineResults.InvalidApiKey();
        }

        return await next(context);
    }
}
