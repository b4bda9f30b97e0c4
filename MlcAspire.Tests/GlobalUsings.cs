global using Xunit;
global using AspireApp = MlcAspire.Bench.Topology.AspireApp;
