namespace MlcAspire.AppHost.Running;

/// <summary>Resolves the <c>dotnet</c> command of a plan to the host that runs this process, when there is one.</summary>
internal static class DotnetHost
{
    public const string Command = "dotnet";

    public static string Resolve(string command)
    {
        if (command != Command)
        {
            return command;
        }

        // The SDK sets DOTNET_HOST_PATH for the processes it starts (dotnet run, dotnet test).
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        return Environment.ProcessPath is { } processPath && Path.GetFileNameWithoutExtension(processPath) == Command
            ? processPath
            : Command;
    }
}
