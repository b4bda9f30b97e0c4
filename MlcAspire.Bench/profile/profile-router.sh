#!/usr/bin/env bash
# Samples where a running router spends its CPU and prints it by bucket (kernel, runtime, JSON, telemetry, ...).
#
#   DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 dotnet run -c Release --project MlcAspire.Bench -- overhead &
#   MlcAspire.Bench/profile/profile-router.sh round-robin 20
#
# The two variables make the routers the bench starts write perf maps, so JIT-compiled frames have names (W^X off:
# with it on, perf sees code through an anonymous double mapping it cannot name). Needs perf (apt-get install linux-perf).
set -euo pipefail
mode=${1:-round-robin}
seconds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)

pid=""
for candidate in $(pgrep -f 'MlcAspire.Router.dll' || true); do
    if tr '\0' '\n' < "/proc/$candidate/environ" 2>/dev/null | grep -qx "Router__Mode=$mode"; then
        pid=$candidate
    fi
done
[ -n "$pid" ] || { echo "no running router with Router__Mode=$mode" >&2; exit 1; }

data=$(mktemp --suffix .perf.data)
trap 'rm -f "$data"' EXIT
perf record -F 499 -g -p "$pid" -o "$data" -- sleep "$seconds" 2>/dev/null
perf script -i "$data" 2>/dev/null | python3 "$here/categorize.py"
