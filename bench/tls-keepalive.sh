#!/usr/bin/env bash
# bench/tls-keepalive.sh — latency of health.check over one HTTPS keep-alive
# connection (200 requests, median of the last 190), for each cc-daemon
# given, in the same run: the issue's 44 ms (Nagle + delayed ACK) against
# plain HTTP.
#
#   bench/tls-keepalive.sh [DAEMON...]    default: $BIN/cc-daemon
#   e.g. bench/tls-keepalive.sh /tmp/old/bin/cc-daemon bin/cc-daemon
set -eu
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/bin}
[ $# -gt 0 ] || set -- "$BIN/cc-daemon"
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
pid=
for d in "$@"; do
	for tls in --tls ""; do
		export HOME=$tmp/home
		mkdir -p "$HOME"
		"$d" -p 0 $tls >"$tmp/out" 2>"$tmp/err" &
		pid=$!
		for _ in $(seq 100); do grep -q DAEMON_PORT "$tmp/out" && break; sleep 0.05; done
		port=$(sed -n 's/^DAEMON_PORT=//p' "$tmp/out")
		python3 - "$port" "$HOME/.codecast/tls-cert.pem" "${tls:+tls}" "$d" <<'PY'
import http.client, ssl, statistics, sys, time
port, cert, tls, name = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
if tls:
    ctx = ssl.create_default_context(cafile=cert); ctx.check_hostname = False
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
else:
    c = http.client.HTTPConnection("127.0.0.1", port)
t = []
for i in range(200):
    t0 = time.perf_counter()
    c.request("POST", "/rpc", b'{"method":"health.check"}', {"Content-Type": "application/json"})
    c.getresponse().read()
    t.append((time.perf_counter() - t0) * 1000)
print("%-40s %-5s keep-alive median %.3f ms" % (name, "https" if tls else "http", statistics.median(t[10:])))
PY
		kill "$pid"; wait "$pid" 2>/dev/null || true
		rm -rf "$HOME"
	done
done
