#!/usr/bin/env bash
# bench/rpc.sh — cc-rpc reading 1,000,000 SSE events from a local server,
# side by side in the same run with the limit (curl -sN | grep '^data:') and
# with the upstream head's way of reading (Python aiohttp, §3.5).  Then the
# latency from the server writing an event to cc-rpc printing it.
#
#   bash bench/rpc.sh                 (after make; uses $BIN or ./bin)
#   EVENTS=200000 RUNS=3 PY_RUNS=1 bash bench/rpc.sh
#
# Wall time: the whole pipeline.  CPU: user+sys of every process of the
# pipeline (bash `times` of a subshell), server excluded.  Each figure is the
# median of RUNS runs (PY_RUNS for Python); cc-rpc and curl take turns.  Outputs go to files (not /dev/null: GNU grep stops at
# the first match when writing to /dev/null).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-${CC_BIN:-$top/bin}}
case $bin in /*) ;; *) bin=$top/$bin ;; esac
EVENTS=${EVENTS:-1000000}
RUNS=${RUNS:-9}
PY_RUNS=${PY_RUNS:-3}
LAT_EVENTS=${LAT_EVENTS:-2000}
LAT_US=${LAT_US:-500}
CC=${CC:-cc}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-rpc.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

[ -x "$bin/cc-rpc" ] || { echo "bench/rpc.sh: $bin/cc-rpc missing: run make first" >&2; exit 1; }
$CC -O2 -o "$tmp/rpc-server" "$top/bench/rpc-server.c"
$CC -O2 -o "$tmp/rpc-latency" "$top/bench/rpc-latency.c"

start() {	# MODE ARGS...: a server; its port in $tmp/port.MODE
	"$tmp/rpc-server" "$@" >"$tmp/port.$1" &
	pids+=($!)
	for _ in $(seq 200); do [ -s "$tmp/port.$1" ] && return 0; sleep 0.05; done
	echo "bench/rpc.sh: rpc-server $1 did not start" >&2
	exit 1
}

start bulk "$EVENTS"
port=$(cat "$tmp/port.bulk")
url=http://127.0.0.1:$port/rpc
req='{"method":"session.send","params":{"sessionId":"b","message":"bench"}}'

# measure NAME CMD: runs CMD once in a subshell; appends "wall cpu" to
# $tmp/NAME.runs.
measure() {
	local name=$1 cmd=$2 t0 t1 cpu
	t0=$(date +%s%N)
	cpu=$( ( eval "$cmd"; times ) | tail -n 1 | awk '{
		split($1, u, /[ms]/); split($2, s, /[ms]/);
		print u[1] * 60 + u[2] + s[1] * 60 + s[2] }')
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 )) $cpu" >>"$tmp/$name.runs"
}
median() {	# FIELD FILE
	awk -v f="$1" '{ print $f }' "$2" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# The two fast readers take turns, run by run, so that a burst of load on
# this shared machine falls on both alike; the ratio is the median of the
# per-run ratios.  Python is slow and only needed for its CPU time.
: >"$tmp/curl.runs"; : >"$tmp/ccrpc.runs"; : >"$tmp/python.runs"
for i in $(seq "$RUNS"); do
	measure curl "curl -sN -X POST -H 'Content-Type: application/json' -d '$req' '$url' | LC_ALL=C grep -a '^data:' >'$tmp/out.curl'"
	measure ccrpc "'$bin/cc-rpc' --pings '$url' session.send sessionId=b message=bench >'$tmp/out.ccrpc'"
done
for i in $(seq "$PY_RUNS"); do
	measure python "/usr/bin/python3 '$top/bench/rpc_upstream_client.py' '$url' >'$tmp/out.python'"
done

n_curl=$(($(wc -l <"$tmp/out.curl") - 1))	# minus the [DONE] line
n_ccrpc=$(wc -l <"$tmp/out.ccrpc")
n_python=$(cat "$tmp/out.python")
if [ "$n_ccrpc" -ne "$EVENTS" ] || [ "$n_curl" -ne "$EVENTS" ] || [ "$n_python" -ne "$EVENTS" ]; then
	echo "bench/rpc.sh: event counts differ: cc-rpc $n_ccrpc curl $n_curl python $n_python (want $EVENTS)" >&2
	exit 1
fi

wc_=$(median 1 "$tmp/curl.runs"); cc_=$(median 2 "$tmp/curl.runs")
wr=$(median 1 "$tmp/ccrpc.runs"); cr=$(median 2 "$tmp/ccrpc.runs")
wp=$(median 1 "$tmp/python.runs"); cp=$(median 2 "$tmp/python.runs")
bytes=$(stat -c %s "$tmp/out.ccrpc")

echo "cc-rpc throughput: $EVENTS events ($bytes bytes of NDJSON), median of $RUNS runs ($PY_RUNS for python)"
printf '  %-44s %9s %9s\n' "reader" "wall ms" "cpu s"
printf '  %-44s %9s %9s\n' "curl -sN | grep '^data:' (the limit)" "$wc_" "$cc_"
printf '  %-44s %9s %9s\n' "cc-rpc (NDJSON out, pings kept)" "$wr" "$cr"
printf '  %-44s %9s %9s\n' "python3 aiohttp, upstream DaemonClient style" "$wp" "$cp"
read -r ratio rmin rmax < <(paste -d ' ' "$tmp/ccrpc.runs" "$tmp/curl.runs" |
	awk '{ print $1 / $3 }' | sort -g |
	awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)], a[1], a[NR] }')
awk -v q="$ratio" -v lo="$rmin" -v hi="$rmax" -v cr="$cr" -v cp="$cp" 'BEGIN {
	printf "  cc-rpc wall / curl wall  = %.2f  (median of the per-run ratios, %.2f-%.2f; target <= 1.20)\n", q, lo, hi
	printf "  cc-rpc cpu  / python cpu = %.3f (target <  0.10)\n", cr / cp }'

# Latency: one event per write, LAT_US apart; a reader timestamps each line.
start latency "$LAT_EVENTS" "$LAT_US"
lport=$(cat "$tmp/port.latency")
lurl=http://127.0.0.1:$lport/rpc
read -r n med p90 p99 max < <("$bin/cc-rpc" "$lurl" session.send sessionId=b message=lat | "$tmp/rpc-latency")
read -r cn cmed cp90 cp99 cmax < <(curl -sN -X POST -H 'Content-Type: application/json' -d "$req" "$lurl" |
	grep --line-buffered '^data:' | "$tmp/rpc-latency")
echo "latency from the server's write to the line reaching a reader ($n events, ${LAT_US} us apart), us"
printf '  %-44s %8s %8s %8s %8s\n' "" median p90 p99 max
printf '  %-44s %8s %8s %8s %8s\n' "cc-rpc" "$med" "$p90" "$p99" "$max"
printf '  %-44s %8s %8s %8s %8s\n' "curl -sN | grep --line-buffered (reference)" "$cmed" "$cp90" "$cp99" "$cmax"
awk -v m="$med" 'BEGIN { printf "  cc-rpc median = %.3f ms (target < 1 ms)\n", m / 1000 }'
echo "reproduce: make && BIN=$bin EVENTS=$EVENTS RUNS=$RUNS PY_RUNS=$PY_RUNS bash bench/rpc.sh"
