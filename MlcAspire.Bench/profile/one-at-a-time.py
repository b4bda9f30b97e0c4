#!/usr/bin/env python3
"""One request at a time, interleaved over targets (direct engine, nginx, router...), on raw keep-alive sockets.

usage: MODEL=<the engines' model argument> one-at-a-time.py N name=port [name=port ...]
env:   STREAM=1 (SSE), MAXTOK (4), WARM (requests per target first, 50).
Each request is written in one send with TCP_NODELAY, as HttpClient writes it: a client that sends headers and
body in two writes (Python's http.client does) adds Nagle/delayed-ACK waits that differ between servers.
Prints percentiles per target and each target's p50 minus the first target's p50.
"""
import json, os, random, socket, statistics, sys, time

n = int(sys.argv[1])
targets = [a.split('=') for a in sys.argv[2:]]
stream = os.environ.get('STREAM') == '1'
body = json.dumps({"model": os.environ['MODEL'], "prompt": [11, 12, 13, 14, 15, 16, 17, 18],
                   "max_tokens": int(os.environ.get('MAXTOK', '4')), "stream": stream, "temperature": 0}).encode()
request = (b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body)) + body
sockets = {}
for name, port in targets:
    sockets[name] = socket.create_connection(('127.0.0.1', int(port)))
    sockets[name].setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def one(name):
    s = sockets[name]
    start = time.perf_counter_ns()
    s.sendall(request)
    buffer = b''
    while True:
        data = s.recv(65536)
        assert data, f"{name} closed the connection"
        buffer += data
        end = buffer.find(b'\r\n\r\n')
        if end < 0:
            continue
        head = buffer[:end].lower()
        assert head.startswith(b'http/1.1 200'), buffer[:300]
        if b'content-length:' in head:
            if len(buffer) - end - 4 >= int(head.split(b'content-length:')[1].split(b'\r\n')[0]):
                break
        elif buffer.endswith(b'\r\n0\r\n\r\n'):
            break
    elapsed = (time.perf_counter_ns() - start) / 1e6
    assert not stream or b'[DONE]' in buffer, buffer[-200:]
    return elapsed


for name, _ in targets:
    for _ in range(int(os.environ.get('WARM', '50'))):
        one(name)
times = {name: [] for name, _ in targets}
order = [name for name, _ in targets]
for _ in range(n):
    random.shuffle(order)
    for name in order:
        times[name].append(one(name))
base = statistics.median(times[targets[0][0]])
print(f"stream={stream} n={n} (ms; added = p50 minus {targets[0][0]}'s p50)")
for name, _ in targets:
    t = sorted(times[name])
    q = lambda p: t[min(len(t) - 1, int(p * len(t)))]
    print(f"{name:10s} p10 {q(.1):7.3f} p25 {q(.25):7.3f} p50 {q(.5):7.3f} p90 {q(.9):7.3f} p99 {q(.99):7.3f}"
          f"   added p50 {q(.5) - base:+.3f}")
