#!/usr/bin/env bash
# bench/lark.sh — cc-lark's memory idle on the long connection.
#
# cc-lark holds test/fakes/fake-lark's long connection (discovery, the
# WebSocket, pings every second) with nothing to do.  Measured, in one run:
# its VmRSS, RssAnon and Pss (target under 6 MiB), bench/rss-floor.c (the
# libraries every bridge links, initialised, doing nothing: what no bridge
# on them can go below) and an upstream-style Python aiohttp client holding
# the same kind of WebSocket (upstream's lark-oapi SDK stands on Python's
# asyncio and websockets).
#
#   bash bench/lark.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CC_BIN:-$top/bin}
work=$(mktemp -d "${TMPDIR:-/tmp}/cc-larkbench.XXXXXX")
fake= bridge=
trap '[ -n "$bridge" ] && kill $bridge 2>/dev/null; [ -n "$fake" ] && kill $fake 2>/dev/null;
      wait 2>/dev/null; rm -rf "$work"' EXIT
export HOME=$work/home
# as cc-head runs the bridges (cc-head(1), ENVIRONMENT); the floor too
export GNUTLS_NO_IMPLICIT_INIT=1
mkdir -p "$HOME"
${CC:-cc} -O2 -o "$work/rss-floor" "$top/bench/rss-floor.c" \
	$(pkg-config --cflags --libs libcurl libwebsockets libevent jansson yaml-0.1)
"$top/test/fakes/fake-lark" --port-file "$work/port" --app-secret SECRET >/dev/null 2>&1 &
fake=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")
printf 'bot:\n  lark:\n    app_id: cli_test\n    app_secret: SECRET\n    domain: http://127.0.0.1:%s\n' \
	"$port" >"$work/cfg.yaml"
mkfifo "$work/in"
"$BIN/cc-lark" -c "$work/cfg.yaml" <"$work/in" >/dev/null 2>"$work/err" &
bridge=$!
exec 3>"$work/in"
# connected: the fake has seen pings
for _ in $(seq 200); do
	[ "$(curl -s "http://127.0.0.1:$port/control/pings" | jq 'length')" -ge 2 ] 2>/dev/null && break
	sleep 0.1
done
sleep 1
REF_BODY='{"AppID":"cli_test","AppSecret":"SECRET"}' /usr/bin/python3 "$top/bench/rss-compare.py" \
	"$bridge" "http://127.0.0.1:$port/callback/ws/endpoint" "$work/rss-floor"
exec 3>&-
