namespace MlcAspire.AppHost.Planning;

/// <summary>A resource's endpoint, named as in Aspire (<c>http</c>), so its service-discovery key is <c>services__&lt;name&gt;__http__0</c>.</summary>
internal sealed record EndpointPlan(string Name, string Scheme, string Host, int Port)
{
    public const string Http = "http";

    public Uri Url => new($"{Scheme}://{Host}:{Port}");
}
