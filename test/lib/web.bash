# web.bash — what the cc-web suites share: start cc-web on a free port,
# log in with curl (a cookie jar and the page's CSRF token), post as the
# page would, stop it by pid.

# start_web [cc-web options]: cc-web -c cfg.yaml on a free port; B is its
# base URL, WEB_PID its pid, its stderr in web.err.
start_web() {
	rm -f web.port
	cc-web -c cfg.yaml -p 0 --port-file web.port "$@" 2>>web.err &
	WEB_PID=$!
	for _ in $(seq 100); do [ -s web.port ] && break; sleep 0.05; done
	[ -s web.port ] || { cat web.err; return 1; }
	PORT=$(cat web.port)
	B=${SCHEME:-http}://127.0.0.1:$PORT
}

stop_web() {
	if [ -n "${WEB_PID:-}" ]; then
		kill "$WEB_PID" 2>/dev/null || true
		wait "$WEB_PID" 2>/dev/null || true
		WEB_PID=
	fi
}

# An engine that is a script (test/fakes/script-engine): every event cc-web
# sends it in ev.log, every line appended to act sent to cc-web.
use_script_engine() {
	cat >engine.sh <<-EOF2
	#!/bin/sh
	exec script-engine --log "$PWD/ev.log" --actions "$PWD/act"
	EOF2
	chmod +x engine.sh
	touch act
	export CC_ENGINE=$PWD/engine.sh
}

# wcurl ARGS: curl against cc-web with the jar, quiet, TLS unchecked.
wcurl() {
	curl -sS -k -b jar -c jar "$@"
}

# login [password]: a session in the jar; CSRF holds its token.
login() {
	if [ $# -gt 0 ]; then
		wcurl -o /dev/null -H "Origin: $B" --data-urlencode "password=$1" "$B/login"
	fi
	wcurl "$B/" >dash.html
	CSRF=$(grep -o '<meta name="csrf" content="[^"]*"' dash.html | sed 's/.*content="//; s/"$//')
	[ -n "$CSRF" ]
}

# wpost PATH [curl args]: a state-changing request as the page's script
# makes it (Origin, token, JSON answer); the status code in CODE, the body
# in out.json.
wpost() {
	local path=$1
	shift
	CODE=$(wcurl -o out.json -w '%{http_code}' -H "Origin: $B" -H "X-CSRF-Token: $CSRF" \
		-H 'Accept: application/json' "$@" "$B$path")
}

wait_for() {	# shell condition, tries (0.1 s each, default 100)
	local i
	for i in $(seq "${2:-100}"); do
		if eval "$1"; then return 0; fi
		sleep 0.1
	done
	echo "timed out waiting for: $1" >&2
	return 1
}
