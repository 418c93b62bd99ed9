#!/usr/bin/env bash
# bench/engine.sh — cc-engine streaming 100 replies at once, beside the floor:
# 100 cc-rpc processes reading the same replies straight from the daemon.
# Each channel sends one message whose reply is DELTAS text deltas after
# TOOLS tool calls (the mock CLI through a real cc-daemon on a local peer),
# shown in live mode with edit_interval 0.05 s.  Also: the engine's peak RSS
# and CPU time, and the median time from the CLI writing a text delta to the
# engine writing the action that shows it, beside cc-rpc's own.
#
# Reproduce: make && bash bench/engine.sh
#   CHANNELS=100 DELTAS=2000 TOOLS=20 RUNS=3 LAT_N=300
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${CC_BIN:-$top/bin}
channels=${CHANNELS:-100}
deltas=${DELTAS:-2000}
tools=${TOOLS:-20}
runs=${RUNS:-3}
lat_n=${LAT_N:-300}
export PATH="$bin:$PATH"

dir=$(mktemp -d)
port=
cleanup() {
	if [ -n "$port" ]; then
		pid=$(cc-rpc --timeout 2 "$port" health.check 2>/dev/null | jq -r .pid) || pid=
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
export HOME=$dir CODECAST_CONFIG=$dir/config.yaml CODECAST_DB=$dir/sessions.db
mkdir -p "$HOME/.local/bin" "$HOME/Projects/app"
ln -s "$top/test/fakes/mock-claude" "$HOME/.local/bin/claude"
dport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'peers:\n  local:\n    transport: local\n    daemon_port: %s\n' "$dport" >"$CODECAST_CONFIG"
port=$(cc-tunnel local)

# One session per channel, registered as /start would.
for i in $(seq 0 $((channels - 1))); do
	sid=$(cc-rpc "$port" session.create path=app | jq -r .sessionId)
	cc-session register "bench:$i" local app "$sid" >/dev/null
	cc-session set "bench:$i" tool_display=live >/dev/null
done
echo "cc-engine: $channels channels, replies of $deltas deltas and $tools tool calls, live mode, edit_interval 0.05 s"

floor() {
	local t0 t1 i
	t0=$(date +%s%N)
	for i in $(seq 0 $((channels - 1))); do
		sid=$(cc-session resolve "bench:$i" | jq -r .daemon_session_id)
		printf 'stream:%s:%s' "$deltas" "$tools" |
			cc-rpc "$port" session.send sessionId="$sid" message=@- >/dev/null &
	done
	wait
	t1=$(date +%s%N)
	echo "scale=3; ($t1 - $t0) / 1000000000" | bc
}

ratios=()
for r in $(seq "$runs"); do
	f=$(floor)
	e=$(python3 "$top/bench/engine_driver.py" replies "$channels" "$deltas" "$tools" 0.05)
	w=$(jq -r .wall <<<"$e")
	ratio=$(echo "scale=3; $w / $f" | bc)
	ratios+=("$ratio")
	printf 'run %d: %s x cc-rpc %ss   cc-engine %ss (%s x)   engine peak RSS %s KiB, CPU %ss, %s actions, complete: %s\n' \
	    "$r" "$channels" "$f" "$w" "$ratio" "$(jq -r .vmhwm_kib <<<"$e")" "$(jq -r .cpu_s <<<"$e")" \
	    "$(jq -r .actions <<<"$e")" "$(jq -r .complete <<<"$e")"
	[ "$(jq -r .complete <<<"$e")" = true ] || { echo "bench/engine.sh: a reply was incomplete" >&2; exit 1; }
done
med=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "wall ratio, median of $runs: $med (target <= 1.3)"

sid=$(cc-rpc "$port" session.create path=app | jq -r .sessionId)
cc-session register "bench:lat" local app "$sid" >/dev/null
cc-session set "bench:lat" tool_display=live >/dev/null
export MOCK_CLAUDE_DELAY=0.005
lr=$(python3 "$top/bench/engine_driver.py" rpc-latency "$port" "$sid" "$lat_n")
le=$(python3 "$top/bench/engine_driver.py" latency "$lat_n")
printf 'delta to screen, %s deltas 5 ms apart: cc-rpc median %s ms (p90 %s), cc-engine median %s ms (p90 %s); engine adds %s ms (target < 5)\n' \
    "$lat_n" "$(jq -r .median_ms <<<"$lr")" "$(jq -r .p90_ms <<<"$lr")" \
    "$(jq -r .median_ms <<<"$le")" "$(jq -r .p90_ms <<<"$le")" \
    "$(echo "scale=3; $(jq -r .median_ms <<<"$le") - $(jq -r .median_ms <<<"$lr")" | bc)"
echo "reproduce: make && bash bench/engine.sh"
