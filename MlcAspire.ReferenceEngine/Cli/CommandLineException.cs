namespace MlcAspire.ReferenceEngine.Cli;

/// <summary>A usage error; the message names the flag or <c>--overrides</c> key, as argparse's does.</summary>
internal sealed class CommandLineException(string message) : Exception(message);
