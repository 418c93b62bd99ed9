# engine.bash — what the cc-engine suites share: a `local` peer whose
# cc-daemon runs the mock CLI under the test's HOME, and test-bridge to talk
# to cc-engine as a chat would.

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A private HOME with the mock CLI as `claude`, a config with a local peer
# (and anything passed on stdin appended to it), a project directory.
engine_setup() {
	cc_setup_home
	mkdir -p "$HOME/.local/bin" "$HOME/Projects/app"
	ln -s "$CODECAST_TOP/test/fakes/mock-claude" "$HOME/.local/bin/claude"
	DAEMON_PORT=$(free_port)
	export CODECAST_CONFIG=$HOME/config.yaml
	{
		printf 'peers:\n  local:\n    transport: local\n    daemon_port: %s\n' "$DAEMON_PORT"
		if [ ! -t 0 ]; then cat; fi
	} >"$CODECAST_CONFIG"
	export CODECAST_DB=$HOME/sessions.db
}

# Stop the daemon cc-tunnel started for the local peer (by its pid).
engine_teardown() {
	local pid
	pid=$(cc-rpc --timeout 2 "$DAEMON_PORT" health.check 2>/dev/null | jq -r .pid) || pid=
	if [ -n "$pid" ] && [ "$pid" != null ]; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	cc-tunnel --close-all >/dev/null 2>&1 || true
}

# bridge [test-bridge options] < script: runs cc-engine behind test-bridge;
# the chat as seen at the end is in view.txt, every action in actions.ndjson,
# the engine's stderr in engine.err.
bridge() {
	cat >script.txt
	rm -f actions.ndjson view.txt
	run test-bridge --actions actions.ndjson --view view.txt \
		--stderr engine.err "$@" script.txt --
	if [ "$status" -ne 0 ]; then
		echo "--- engine stderr"; cat engine.err
	fi
}

# The text of every send/edit action, one JSON string per line.
sent_texts() {
	jq -r 'select(.op=="send").text' actions.ndjson
}
