#!/usr/bin/env bats
# The shell way to the main job: examples/rpc-demo.sh runs cc-rpc $(cc-tunnel local)
# session.send against a cc-daemon that cc-tunnel itself made answer.

load lib/common.bash

setup() {
	cc_setup_home
}

@test "examples/rpc-demo.sh streams the mock CLI's reply and leaves no daemon behind" {
	export TMPDIR=$BATS_TEST_TMPDIR
	run bash "$CODECAST_TOP/examples/rpc-demo.sh"
	assert_success
	run bash -c "bash '$CODECAST_TOP/examples/rpc-demo.sh' 2>/dev/null"
	assert_success
	assert_line --index 0 --regexp '^\{"ok":true,"version":"[0-9.]+","sessions":0\}$'
	jq -s -e 'any(.[]; .type=="system" and .subtype=="init")' <<<"$output" >/dev/null
	run jq -r 'select(.type=="text").content' <<<"$output"
	assert_output "main.c returns 0"
	# every daemon the demo started is gone (their HOMEs were under TMPDIR)
	run pgrep -f "$BATS_TEST_TMPDIR"
	assert_failure
}

@test "cc-tunnel on a local peer starts the daemon when nothing answers; --no-ensure does not" {
	mkdir -p "$HOME/.local/bin"
	ln -s "$CODECAST_TOP/test/fakes/mock-claude" "$HOME/.local/bin/claude"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	printf 'peers:\n  here:\n    transport: local\n    daemon_port: %s\n' "$port" > c.yaml
	run cc-tunnel -c c.yaml --no-ensure here
	assert_success
	assert_output "$port"
	run cc-rpc --timeout 2 "$port" health.check
	assert_failure 3
	run cc-tunnel -c c.yaml here
	assert_success
	p=$output
	run cc-rpc "$p" health.check
	assert_success
	pid=$(jq -r .pid <<<"$output")
	[ "$(cat "$HOME/.codecast/daemon.port")" = "$p" ]
	# a second call finds it answering and starts nothing
	run cc-tunnel -c c.yaml here
	assert_output "$p"
	run cc-rpc "$p" health.check
	assert_equal "$(jq -r .pid <<<"$output")" "$pid"
	kill "$pid"
}
