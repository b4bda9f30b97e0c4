using System.Security.Cryptography;
using System.Text;
using MlcAspire.Router.Apis;

namespace MlcAspire.Router.Security;

/// <summary>
/// The optional API key: with <see cref="RouterReliabilityOptions.ApiKey"/> set, <c>/v1/*</c> (and, with
/// <see cref="RouterReliabilityOptions.ProtectOperationalEndpoints"/>, every other route) needs
/// <c>Authorization: Bearer &lt;key&gt;</c>. Registered only when a key is configured.
/// </summary>
/// <remarks>
/// Both sides are hashed first so that <see cref="CryptographicOperations.FixedTimeEquals"/> compares equal lengths
/// and the time taken reveals neither the key's content nor its length.
/// </remarks>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<RouterReliabilityOptions> options, ILogger<ApiKeyMiddleware> logger)
{
    private const string BearerPrefix = "Bearer ";

    private readonly byte[] _keyHash = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.ApiKey ?? ""));
    private readonly bool _protectAll = options.Value.ProtectOperationalEndpoints;

    public Task InvokeAsync(HttpContext context)
    {
        var isApi = context.Request.Path.StartsWithSegments("/v1");

        // The operator's engine commands change what every client gets, so they are never open when a key is set.
        var isAdmin = context.Request.Path.StartsWithSegments(RouterEngineAdminApi.RoutePrefix);
        if ((!isApi && !isAdmin && !_protectAll) || HasValidKey(context.Request))
        {
            return next(context);
        }

        RouterLog.ApiKeyRejected(logger, context.Request.Path);
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        if (!isApi)
        {
            // Empty body: UseStatusCodePages answers with ProblemDetails, as for every non-/v1 route.
            return Task.CompletedTask;
        }

        var error = OpenAIError.Create(
            "A valid API key is required: send 'Authorization: Bearer <key>'.", OpenAIError.AuthenticationError, "invalid_api_key");
        return OpenAIErrorResult.WriteAsync(context, StatusCodes.Status401Unauthorized, error, context.RequestAborted);
    }

    private bool HasValidKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[BearerPrefix.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, _keyHash);
    }
}
