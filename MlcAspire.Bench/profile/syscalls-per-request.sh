#!/bin/bash
# Syscalls, context switches and CPU per request of a process (router, nginx workers, engine) while N sequential
# requests go to PORT, counted by perf's syscall tracepoints (no ptrace, so the timing is barely disturbed).
#   usage: MODEL=<model> [STREAM=1] syscalls-per-request.sh PID[,PID...] PORT N
set -euo pipefail
pids=$1 port=$2 n=$3 out=$(mktemp)
events=context-switches,task-clock
for call in sendto recvfrom sendmsg recvmsg writev readv write read epoll_wait futex sched_yield; do
    events+=",syscalls:sys_enter_$call"
done
perf stat -x, -e "$events" -p "$pids" -o "$out" -- sleep 3600 &
stat=$!
sleep 1
WARM=0 python3 "$(dirname "$0")/one-at-a-time.py" "$n" "target=$port" > /dev/null
pkill -P "$stat" sleep   # ends perf's timer child only; perf prints its counts
wait "$stat" || true
awk -F, -v n="$n" '/^[0-9]/ { printf "%-34s %8.2f\n", $3, $1 / n }' "$out"   # task-clock in ms
rm -f "$out"
