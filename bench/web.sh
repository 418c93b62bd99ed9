#!/usr/bin/env bash
# bench/web.sh — cc-web's page weight and memory.
#
# Page weight: the bytes of the dashboard's and a chat's HTML, the CSS and
# the script (target < 50 KB together).  Memory: cc-web's VmRSS and RssAnon
# (/proc/PID/status) idle after a login, then with CLIENTS browsers
# streaming — CLIENTS EventSource clients (curl) on one chat while a
# stand-in engine (test/fakes/script-engine) streams a reply of EDITS
# edits to it, plus one dashboard stream (target < 8 MiB).  The engine is a
# separate process and not counted.
#
#   bash bench/web.sh                    20 clients, 400 edits
#   CLIENTS=50 EDITS=1000 bash bench/web.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CC_BIN:-$top/bin}
CLIENTS=${CLIENTS:-20} EDITS=${EDITS:-400}
work=$(mktemp -d "${TMPDIR:-/tmp}/cc-webbench.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work/home
mkdir -p "$HOME"
cd "$work"
printf 'peers:\n  local:\n    transport: local\n' >cfg.yaml
cat >engine.sh <<EOF2
#!/bin/sh
exec "$top/test/fakes/script-engine" --log "$work/ev.log" --actions "$work/act"
EOF2
chmod +x engine.sh
touch act
printf 'bench-password\n' | "$BIN/cc-web" passwd >/dev/null
CC_ENGINE=$work/engine.sh PATH="$BIN:$PATH" "$BIN/cc-web" -c cfg.yaml -p 0 \
	--port-file port 2>web.err &
web=$!
pids+=("$web")
for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
B=http://127.0.0.1:$(cat port)

mem() {	# VmRSS and RssAnon of cc-web, KiB
	awk '/^VmRSS|^RssAnon/ { printf "%s %s kB  ", $1, $2 }' "/proc/$web/status"
}

curl -sS -c jar -b jar -o /dev/null -H "Origin: $B" --data-urlencode password=bench-password "$B/login"
curl -sS -b jar "$B/" >dash.html
csrf=$(grep -o '<meta name="csrf" content="[^"]*"' dash.html | sed 's/.*content="//; s/"$//')
curl -sS -b jar -o /dev/null -H "Origin: $B" -H "X-CSRF-Token: $csrf" \
	--data-urlencode "text=hello" "$B/chat/bench/send"
for i in $(seq 20); do
	printf '{"op":"send","channel":"web:bench","ref":"h%d","text":"**earlier** reply %d with `code`"}\n' "$i" "$i" >>act
done
sleep 1
curl -sS -b jar "$B/chat/bench" >chat.html
curl -sS "$B/static/app.css" >app.css
curl -sS "$B/static/app.js" >app.js
d=$(wc -c <dash.html) c=$(wc -c <chat.html) s=$(wc -c <app.css) j=$(wc -c <app.js)
echo "page weight: dashboard HTML $d B, chat HTML $c B (20 messages), CSS $s B, JS $j B;" \
	"dashboard+CSS+JS $((d + s + j)) B, chat+CSS+JS $((c + s + j)) B, all four $((d + c + s + j)) B (target < 51200)"
gz=$(cat dash.html chat.html app.css app.js | gzip -9 | wc -c)
echo "  (all four gzipped: $gz B; cc-web sends them uncompressed)"
sleep 1
echo "idle after a login: $(mem)"

# CLIENTS streams on the chat, one on the dashboard, then a long reply.
for i in $(seq "$CLIENTS"); do
	curl -sS -N -b jar "$B/chat/bench/events" >"s$i.out" 2>/dev/null &
	pids+=("$!")
done
curl -sS -N -b jar "$B/events" >dash.out 2>/dev/null &
pids+=("$!")
sleep 1
echo "$CLIENTS chat streams + 1 dashboard stream, quiet: $(mem)"
python3 - "$EDITS" >>act <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"op": "send", "channel": "web:bench", "ref": "live", "text": "w0"}))
text = ""
for k in range(1, n + 1):
    text += "w%d " % k
    if k % 25 == 0:
        text += "\n\n```\ncode line %d\n```\n\n" % k
    print(json.dumps({"op": "edit", "ref": "live", "text": text + "\u258c"}))
print(json.dumps({"op": "edit", "ref": "live", "text": text.strip()}))
PY
peak=0 peak_anon=0
t0=$(date +%s.%N)
while :; do
	r=$(awk '/^VmRSS/ {print $2}' "/proc/$web/status")
	a=$(awk '/^RssAnon/ {print $2}' "/proc/$web/status")
	[ "$r" -gt "$peak" ] && peak=$r
	[ "$a" -gt "$peak_anon" ] && peak_anon=$a
	last=$(grep -c "w$EDITS</p>" "s$CLIENTS.out" || true)
	[ "$last" -ge 1 ] && break
	sleep 0.05
done
t1=$(date +%s.%N)
sleep 0.5
got=0
for i in $(seq "$CLIENTS"); do grep -q "w$EDITS</p>" "s$i.out" && got=$((got + 1)); done
echo "streaming $EDITS edits to $CLIENTS chat streams: peak VmRSS $peak kB, peak RssAnon $peak_anon kB;" \
	"$got/$CLIENTS streams got the final text; $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s"
echo "after the reply, streams still open: $(mem)"
