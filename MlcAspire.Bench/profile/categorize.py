#!/usr/bin/env python3
"""Where a .NET process's CPU goes, from `perf script` output: each sample's leaf frame is put in one bucket.

Usage: perf script -i perf.data | python3 categorize.py
(record with DOTNET_PerfMapEnabled=1 and DOTNET_EnableWriteXorExecute=0 so that JIT-compiled frames have names.)
"""
import collections
import re
import sys

# First match wins; a managed frame's assembly is the word in brackets perf map names carry, e.g. [System.Text.Json].
BUCKETS = [
    ("kernel: sockets, syscalls, scheduling", lambda sym, dso: dso.startswith("[kernel")),
    ("runtime: GC, JIT, type checks, stubs", lambda sym, dso: "libcoreclr" in dso or "libclrjit" in dso
        or sym.startswith("stub ") or "CastHelpers" in sym or "VirtualDispatchHelpers" in sym),
    ("libc and native interop", lambda sym, dso: "libc" in dso or "ld-linux" in dso or "libSystem.Native" in dso or "vdso" in dso),
    ("OpenTelemetry and System.Diagnostics (metrics, spans)", lambda sym, dso: "[OpenTelemetry" in sym or "[System.Diagnostics.DiagnosticSource]" in sym),
    ("logging", lambda sym, dso: "[Microsoft.Extensions.Logging" in sym),
    ("System.Text.Json", lambda sym, dso: "[System.Text.Json]" in sym),
    ("HttpClient (engine calls)", lambda sym, dso: "[System.Net.Http]" in sym or "[Microsoft.Extensions.Http]" in sym
        or "[Microsoft.Extensions.ServiceDiscovery" in sym),
    ("sockets (managed)", lambda sym, dso: "[System.Net.Sockets]" in sym or "[System.Net.Primitives]" in sym),
    ("Kestrel and ASP.NET Core (server, routing, middleware)", lambda sym, dso: "[Microsoft.AspNetCore" in sym
        or "[System.IO.Pipelines]" in sym or "[Microsoft.Extensions.DependencyInjection" in sym),
    ("MlcAspire.Router (the router's own code)", lambda sym, dso: "[MlcAspire." in sym),
    ("BCL: async state machines, thread pool, collections, strings", lambda sym, dso: "[System.Private.CoreLib]" in sym
        or "[System." in sym),
]


def main():
    counts = collections.Counter()
    total = 0
    leaf_expected = False
    for line in sys.stdin:
        if not line.strip():
            leaf_expected = False
            continue
        if not line.startswith((" ", "\t")):
            leaf_expected = True  # a sample header; its first stack line is the leaf
            continue
        if not leaf_expected:
            continue
        leaf_expected = False
        match = re.match(r"\s*[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$", line)
        sym, dso = (match.group(1), match.group(2)) if match else (line.strip(), "")
        total += 1
        for name, test in BUCKETS:
            if test(sym, dso):
                counts[name] += 1
                break
        else:
            counts["other (unresolved frames)"] += 1
    for name, count in counts.most_common():
        print(f"{100 * count / max(total, 1):5.1f}%  {name}")
    print(f"{total} samples")


if __name__ == "__main__":
    main()
