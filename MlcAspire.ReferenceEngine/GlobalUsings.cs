global using Microsoft.Extensions.Logging;
global using MlcAspire.Contracts;
