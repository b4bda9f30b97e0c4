#!/usr/bin/env bash
# The reference engine's own throughput on this machine: prefill tokens/s (one long prompt) and decode tokens/s
# (concurrent generations, continuous batching). Needs only a built engine, bash and curl.
#
#   MlcAspire.ReferenceEngine/bench/throughput.sh [MODEL_DIR] [CONCURRENCY] [DECODE_TOKENS]
#   e.g. MlcAspire.ReferenceEngine/bench/throughput.sh models/reference-tiny 8 128
#        MlcAspire.ReferenceEngine/bench/throughput.sh models/reference-timing 32 128
set -euo pipefail
cd "$(dirname "$0")/../.."

model=${1:-models/reference-tiny}
concurrency=${2:-8}
decode_tokens=${3:-128}
prompt_tokens=2000
config=${CONFIGURATION:-debug}
dll=artifacts/bin/MlcAspire.ReferenceEngine/$config/MlcAspire.ReferenceEngine.dll
[ -f "$dll" ] || dotnet build MlcAspire.ReferenceEngine -c "$config" >/dev/null

port=$((20000 + RANDOM % 20000))
dotnet "$dll" "$model" --enable-debug --mode server --port "$port" >/tmp/mlc-reference-bench.log 2>&1 &
engine=$!
trap 'kill $engine 2>/dev/null' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null && break; sleep 0.1; done

ids() { seq -s, "$1" $(( $1 + $2 - 1 )) | sed 's/\([0-9]*\)/$(( \1 % 1000 ))/g' | { read -r line; eval "echo \"$line\""; }; }
post() { curl -sf "http://127.0.0.1:$port/v1/completions" -H 'content-type: application/json' -d "$1"; }
now() { date +%s.%N; }

# Warm-up (JIT), then prefill: a 2,000-token prompt and one output token.
post "{\"prompt\":[$(ids 1 64)],\"max_tokens\":4,\"temperature\":0}" >/dev/null
# The body is built before the clock starts: building 2,000 ids in bash takes longer than the prefill itself.
prefill_body="{\"prompt\":[$(ids 7 $prompt_tokens)],\"max_tokens\":1,\"temperature\":0}"
start=$(now)
post "$prefill_body" >/dev/null
prefill_s=$(echo "$(now) - $start" | bc -l)

# Decode: CONCURRENCY generations of DECODE_TOKENS tokens each from short prompts, all at once.
bodies=()
for i in $(seq 1 "$concurrency"); do
  bodies+=("{\"prompt\":[$(ids $((i * 31)) 16)],\"max_tokens\":$decode_tokens,\"temperature\":0,\"debug_config\":{\"ignore_eos\":true}}")
done
start=$(now)
for body in "${bodies[@]}"; do
  post "$body" >/dev/null &
done
wait $(jobs -p | grep -v "^$engine$") 2>/dev/null || true
decode_s=$(echo "$(now) - $start" | bc -l)

printf 'model %s\n' "$model"
printf 'prefill: %d tokens in %.3f s = %.0f tokens/s\n' "$prompt_tokens" "$prefill_s" "$(echo "$prompt_tokens / $prefill_s" | bc -l)"
printf 'decode: %d x %d tokens in %.3f s = %.0f tokens/s (batch of %d)\n' "$concurrency" "$decode_tokens" "$decode_s" \
  "$(echo "$concurrency * $decode_tokens / $decode_s" | bc -l)" "$concurrency"
