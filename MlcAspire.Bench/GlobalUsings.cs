global using System.Diagnostics;
global using MlcAspire.Bench.Load;
global using MlcAspire.Bench.Measurement;
global using MlcAspire.Bench.Topology;
