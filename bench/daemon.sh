#!/usr/bin/env bash
# bench/daemon.sh — cc-daemon throughput and idle memory.
#
# 1. Events per second through one SSE stream: a CLI stand-in
#    (bench/daemon-gen.c, run as `claude`) prints N stream_event text-delta
#    lines as fast as it can; cc-daemon converts them and streams them to
#    `curl -sN` (output to /dev/null, as cat's; one untimed run checks that
#    every event arrives, in order).  Side by side, in the same run: the
#    same generator piped through `cat` (the limit: a pipe and nothing
#    else).  Wall time includes curl's start and the CLI's spawn.  Target:
#    >= 50%.
# 2. Peak RSS (VmHWM) of a fresh daemon holding 50 idle sessions (after one
#    short reply each, so every session has a CLI id and a model).
#
#   bash bench/daemon.sh              (BIN=dir with cc-daemon; N=200000; RUNS=5)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$top/bin}
N=${N:-200000}
RUNS=${RUNS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cc-bench-daemon.XXXXXX")
dpid=
cleanup() { [ -n "$dpid" ] && kill "$dpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

cc -O2 -o "$tmp/claude" "$top/bench/daemon-gen.c"
export HOME="$tmp/home" GEN_LINES=$N
mkdir -p "$HOME/Projects/bench"
export PATH="$tmp:$BIN:$PATH"

"$BIN/cc-daemon" -p 0 >"$tmp/out" 2>"$tmp/err" &
dpid=$!
for _ in $(seq 100); do grep -q DAEMON_PORT "$tmp/out" && break; sleep 0.05; done
port=$(sed -n 's/^DAEMON_PORT=//p' "$tmp/out")
url="http://127.0.0.1:$port/rpc"
# the daemon's owner token (cc-daemon(1), AUTHENTICATION), kept out of argv
printf 'header = "Authorization: Bearer %s"\n' "$(cat "$HOME/.codecast/daemon.token")" >"$tmp/auth"
rpc() { curl -K "$tmp/auth" -sS -H 'Content-Type: application/json' -d "$1" "$url"; }
sid=$(rpc '{"method":"session.create","params":{"path":"bench"}}' | jq -r .result.sessionId)
body="{\"method\":\"session.send\",\"params\":{\"sessionId\":\"$sid\",\"message\":\"go\"}}"

# Untimed: the stream is complete and in order.
curl -K "$tmp/auth" -sS -N -H 'Content-Type: application/json' -d "$body" "$url" >"$tmp/sse"
got=$(grep -c '"type":"partial"' "$tmp/sse" || true)
[ "$got" -eq "$N" ] || { echo "got $got partial events, want $N" >&2; exit 1; }
[ "$(sed -n 's/^data: {"type":"partial","content":"tok\([0-9]*\) "\(,"seq":[0-9]*\)\{0,1\}}$/\1/p' "$tmp/sse" | awk '$1 != NR - 1 {bad++} END {print bad + 0}')" = 0 ] ||
	{ echo "partial events out of order" >&2; exit 1; }
tail -n 2 "$tmp/sse" | grep -q '^data: \[DONE\]$' || { echo "no [DONE]" >&2; exit 1; }

now() { date +%s.%N; }
best_cat=999 best_d=999
for r in $(seq "$RUNS"); do
	t0=$(now); "$tmp/claude" | cat >/dev/null; t1=$(now)
	c=$(echo "$t1 - $t0" | bc -l)
	t0=$(now); curl -K "$tmp/auth" -sS -N -H 'Content-Type: application/json' -d "$body" "$url" >/dev/null; t1=$(now)
	d=$(echo "$t1 - $t0" | bc -l)
	best_cat=$(echo "if ($c < $best_cat) $c else $best_cat" | bc -l)
	best_d=$(echo "if ($d < $best_d) $d else $best_d" | bc -l)
	printf 'run %d: cat %.4fs  cc-daemon %.4fs\n' "$r" "$c" "$d"
done
ev_cat=$(echo "$N / $best_cat" | bc -l)
ev_d=$(echo "$N / $best_d" | bc -l)
printf '%-34s %14s %10s\n' "path ($N text deltas, best of $RUNS)" "events/s" "seconds"
printf '%-34s %14.0f %10.4f\n' "generator | cat (the limit)" "$ev_cat" "$best_cat"
printf '%-34s %14.0f %10.4f\n' "generator -> cc-daemon -> curl SSE" "$ev_d" "$best_d"
printf 'ratio: %.1f%% of the limit (target >= 50%%)\n' "$(echo "100 * $ev_d / $ev_cat" | bc -l)"

# Idle memory: a fresh daemon, 50 sessions, each after one short reply.
kill "$dpid"; wait "$dpid" 2>/dev/null || true
GEN_LINES=10 "$BIN/cc-daemon" -p 0 >"$tmp/out2" 2>"$tmp/err2" &
dpid=$!
for _ in $(seq 100); do grep -q DAEMON_PORT "$tmp/out2" && break; sleep 0.05; done
url="http://127.0.0.1:$(sed -n 's/^DAEMON_PORT=//p' "$tmp/out2")/rpc"
export GEN_LINES=10
for i in $(seq 50); do
	s=$(rpc '{"method":"session.create","params":{"path":"bench"}}' | jq -r .result.sessionId)
	curl -K "$tmp/auth" -sS -N -H 'Content-Type: application/json' \
	    -d "{\"method\":\"session.send\",\"params\":{\"sessionId\":\"$s\",\"message\":\"hi\"}}" "$url" >/dev/null
done
echo "idle sessions: $(rpc '{"method":"health.check"}' | jq -c .result.sessionsByStatus)"
grep -E '^(VmHWM|VmRSS)' "/proc/$dpid/status" | sed 's/^/cc-daemon, fresh, 50 idle sessions: /'
echo "reproduce: make all && BIN=$BIN N=$N RUNS=$RUNS bash bench/daemon.sh"
