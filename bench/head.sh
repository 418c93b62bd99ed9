#!/usr/bin/env bash
# bench/head.sh — the whole head's memory: summed PSS (/proc/PID/smaps_rollup)
# of cc-head (the head and each pair's supervisor and log stamper), each
# cc-engine and each bridge, run by `cc-head run` against the fakes (fake
# Bot API, a local peer's cc-daemon with the mock CLI):
#
#   - one platform (Telegram) idle;
#   - three platforms idle (target < 12 MiB): cc-telegram, cc-discord (on
#     test/fakes/fake-discord's gateway) and cc-lark (on fake-lark's long
#     connection), each with its engine;
#   - the three platforms while 10 sessions stream at once (10 Telegram
#     chats, each `/start` then a long streamed reply); the reply readers the
#     engine spawns (cc-rpc) are reported beside, not in, the sum;
#   - beside them, the three bridges' floor: bench/rss-floor.c built as each
#     bridge links, idle, three at once after the head has stopped.
#
# Beside it, upstream's Python head: it cannot run here (its source is not
# packaged), so its import footprint is measured the same way: Debian's
# /usr/bin/python3 importing what its head imports at start (asyncio,
# aiohttp, yaml, sqlite3, and discord.py / python-telegram-bot when the
# Debian packages are installed: python3-discord, python3-python-telegram-bot
# — the latter is v13, upstream wants v20+), idle in one process.
#
#   bash bench/head.sh            SESSIONS=10 WORDS=400 by default
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CC_BIN:-$top/bin}
SESSIONS=${SESSIONS:-10} WORDS=${WORDS:-400}
export PATH="$BIN:$top/test/fakes:$PATH" LC_ALL=C.UTF-8
work=$(mktemp -d "${TMPDIR:-/tmp}/cc-headbench.XXXXXX")
export HOME=$work/home
unset XDG_RUNTIME_DIR
mkdir -p "$HOME/.local/bin" "$HOME/Projects/app"
ln -s "$top/test/fakes/mock-claude" "$HOME/.local/bin/claude"
fakes= head= daemon_port=
cleanup() {
	[ -n "$head" ] && kill -TERM "$head" 2>/dev/null && wait "$head" 2>/dev/null
	if [ -n "$daemon_port" ]; then
		pid=$(cc-rpc --timeout 2 "$daemon_port" health.check 2>/dev/null | jq -r .pid) || pid=
		[ -n "$pid" ] && [ "$pid" != null ] && kill "$pid" 2>/dev/null
	fi
	cc-tunnel --close-all >/dev/null 2>&1 || true
	for f in $fakes; do kill "$f" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

fake() {	# NAME: a fake Bot API, its URL on stdout
	fake-telegram --port-file "$work/$1.port" >/dev/null 2>&1 &
	fakes="$fakes $!"
	for _ in $(seq 100); do [ -s "$work/$1.port" ] && break; sleep 0.05; done
	echo "http://127.0.0.1:$(cat "$work/$1.port")"
}
tg=$(fake tg)
daemon_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export CODECAST_CONFIG=$work/config.yaml MOCK_CLAUDE_DELAY=0.02
base_config() {
	printf 'peers:\n  local:\n    transport: local\n    daemon_port: %s\nbot:\n  telegram:\n    token: "123:TEST"\n    api_url: %s\n' \
	    "$daemon_port" "$tg"
}
started() {	# PORT-FILE
	for _ in $(seq 100); do [ -s "$1" ] && break; sleep 0.05; done
	echo "http://127.0.0.1:$(cat "$1")"
}
fake-discord --port-file "$work/discord.port" >/dev/null 2>&1 &
fakes="$fakes $!"
dc=$(started "$work/discord.port")
fake-lark --port-file "$work/lark.port" --app-secret SECRET >/dev/null 2>&1 &
fakes="$fakes $!"
lk=$(started "$work/lark.port")

pss_kib() {	# PID... → summed Pss in KiB
	local s=0 p v
	for p in "$@"; do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null) || v=0
		s=$((s + ${v:-0}))
	done
	echo "$s"
}
# the head's processes: cc-head and every process in its pairs' groups except
# the engines' children (whose parent is an engine)
head_pids() {
	local g pids engines
	pids=$head
	for g in $(sed -n 's/^pgid=//p' "$HOME"/.codecast/run/codecast-head.*/*.state 2>/dev/null); do
		pids="$pids $(pgrep -g "$g" | tr '\n' ' ')"
	done
	engines=$(pgrep -x cc-engine | tr '\n' ' ')
	for p in $pids; do
		pp=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
		case " $engines " in *" $pp "*) ;; *) echo "$p" ;; esac
	done
}
engine_children() {
	local e
	for e in $(pgrep -x cc-engine); do pgrep -P "$e"; done
}
breakdown() {	# what each kind weighs
	local p c
	for p in $(head_pids); do
		c=$(ps -o comm= -p "$p")
		echo "$c $(pss_kib "$p")"
	done | awk '{k[$1]+=$2; n[$1]++} END {for (c in k) printf "    %-12s x%d  %6.2f MiB\n", c, n[c], k[c]/1024}' | sort
}
mib() { awk -v k="$1" 'BEGIN {printf "%.2f", k/1024}'; }

run_head() {	# platforms: 1 or 3
	base_config >"$CODECAST_CONFIG"
	if [ "$1" = 3 ]; then
		printf '  discord:\n    token: "TESTTOKEN"\n    api_url: %s/api/v10\n  lark:\n    app_id: cli_test\n    app_secret: SECRET\n    domain: %s\n' \
		    "$dc" "$lk" >>"$CODECAST_CONFIG"
	fi
	cc-head run --log "$work/head.log" &
	head=$!
	for _ in $(seq 100); do
		[ "$(grep -c 'state=running' "$HOME"/.codecast/run/codecast-head.*/*.state 2>/dev/null | awk -F: '{s+=$2} END {print s+0}')" -ge "$1" ] && break
		sleep 0.1
	done
	sleep 3	# settled: getMe, the first long polls, the commands
}
stop_head() {
	kill -TERM "$head"; wait "$head" || true; head=
}

msg() {	# CHAT TEXT
	curl -sf -X POST "$tg/control/update" -d "$(jq -nc --argjson c "$1" --arg t "$2" \
	    '{message: {message_id: 1, date: 1, chat: {id: $c, type: "private"},
	      from: {id: $c, is_bot: false, username: "u"}, text: $t}}')" >/dev/null
}

run_head 1
one=$(pss_kib $(head_pids))
echo "one platform (Telegram), idle: $(mib "$one") MiB PSS in $(head_pids | wc -l) processes"
breakdown
stop_head

run_head 3
idle=$(pss_kib $(head_pids))
echo "three platforms, idle: $(mib "$idle") MiB PSS in $(head_pids | wc -l) processes (target < 12 MiB)"
breakdown
for c in $(seq 1 "$SESSIONS"); do msg "$c" "/start local app"; done
for _ in $(seq 300); do
	n=$(curl -sf "$tg/control/messages" | jq '[.[] | map(select(.text | test("Session ready"))) | length] | add // 0')
	[ "$n" -ge "$SESSIONS" ] && break
	sleep 0.1
done
for c in $(seq 1 "$SESSIONS"); do msg "$c" "stream:$WORDS:3"; done
peak=0 peak_children=0
t_end=$(( $(date +%s) + 60 ))
while [ "$(date +%s)" -lt "$t_end" ]; do
	s=$(pss_kib $(head_pids))
	[ "$s" -gt "$peak" ] && peak=$s
	k=$(pss_kib $(engine_children))
	[ "$k" -gt "$peak_children" ] && peak_children=$k
	done_n=$(curl -sf "$tg/control/messages" | jq --arg w "w$WORDS" '[.[] | map(select(.text | endswith($w))) | length] | add // 0')
	[ "$done_n" -ge "$SESSIONS" ] && break
	sleep 0.3
done
echo "three platforms, $SESSIONS sessions streaming: peak $(mib "$peak") MiB PSS (the engine's reply readers beside: $(mib "$peak_children") MiB); $done_n of $SESSIONS replies complete"
stop_head
# The floor of the three bridges, same run, once the head has stopped (run
# beside the bridges, the floors would share their pages and halve both):
# bench/rss-floor.c as each bridge links (libcurl, libevent, jansson,
# libyaml; libwebsockets for Discord and Lark), initialised and idle, under
# cc-head's environment.
${CC:-cc} -O2 -o "$work/floor-ws" "$top/bench/rss-floor.c" \
	$(pkg-config --cflags --libs libcurl libwebsockets libevent jansson yaml-0.1)
${CC:-cc} -O2 -DFLOOR_NO_WS -o "$work/floor" "$top/bench/rss-floor.c" \
	$(pkg-config --cflags --libs libcurl libevent jansson yaml-0.1)
mkfifo "$work/floor.in"
floors=
for f in floor floor-ws floor-ws; do
	GNUTLS_NO_IMPLICIT_INIT=1 "$work/$f" <"$work/floor.in" >/dev/null &
	floors="$floors $!"
done
exec 4>"$work/floor.in"
sleep 1
echo "the three bridges' floor, same run (rss-floor.c x3: their libraries alone, initialised, the head stopped): $(mib "$(pss_kib $floors)") MiB PSS"
exec 4>&-
wait $floors

printf '\nupstream Python head (import footprint; its source is not packaged):\n'
py_pss() {	# import statement
	/usr/bin/python3 -c "$1
import signal, sys
sys.stdout.write('ready\n'); sys.stdout.flush()
signal.pause()" >"$work/py.out" 2>"$work/py.err" &
	local p=$!
	for _ in $(seq 100); do grep -q ready "$work/py.out" 2>/dev/null && break; kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	if grep -q ready "$work/py.out" 2>/dev/null; then
		pss_kib "$p"
	else
		echo "failed: $(tail -1 "$work/py.err")"
	fi
	kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true
}
base='import asyncio, json, sqlite3, ssl, aiohttp, yaml'
v=$(py_pss "$base"); echo "  python3 + asyncio, aiohttp, yaml, sqlite3, ssl: $(mib "$v") MiB"
v=$(py_pss "$base; import discord"); case $v in failed*) echo "  + discord.py: $v (apt-get install python3-discord)" ;; *) echo "  + discord.py (python3-discord): $(mib "$v") MiB" ;; esac
v=$(py_pss "$base; import discord, telegram, telegram.ext"); case $v in failed*) echo "  + python-telegram-bot: $v (apt-get install python3-python-telegram-bot)" ;; *) echo "  + python-telegram-bot v13 (python3-python-telegram-bot): $(mib "$v") MiB  (one process; upstream runs all its adapters in it)" ;; esac
echo "  not measured: lark-oapi (not in Debian), upstream's own modules, its running adapters' state"
echo "reproduce: SESSIONS=$SESSIONS WORDS=$WORDS bash bench/head.sh"
