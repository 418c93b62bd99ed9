#!/usr/bin/env bats
# cc-engine with a peer behind a real OpenSSH sshd on loopback: the daemon
# is deployed and reached through cc-tunnel, files go over SSH.

load lib/common.bash
load lib/sshd.bash
load lib/engine.bash

setup() {
	engine_setup </dev/null
	sshd_setup
	sshd_start a
	mkdir -p "$SSHD_REMOTE_HOME/.local/bin" "$SSHD_REMOTE_HOME/Projects"
	ln -sf "$CODECAST_TOP/test/fakes/mock-claude" "$SSHD_REMOTE_HOME/.local/bin/claude"
	RPORT=$(free_port)
	cat >>"$CODECAST_CONFIG" <<-EOF
	  gpu:
	    transport: ssh
	    ssh_host: 127.0.0.1
	    ssh_port: $SSHD_PORT_a
	    ssh_user: root
	    ssh_key: $SSHD_CLIENT_KEY
	    daemon_port: $RPORT
	EOF
}

teardown() {
	local pf=$SSHD_REMOTE_HOME/.codecast/daemon.port port pid
	cc-tunnel --close-all >/dev/null 2>&1 || true
	if [ -f "$pf" ]; then
		port=$(cat "$pf")
		pid=$(cc-rpc --timeout 2 "$port" health.check 2>/dev/null | jq -r .pid) || pid=
		[ -n "$pid" ] && [ "$pid" != null ] && kill "$pid" 2>/dev/null
	fi
	engine_teardown
	sshd_stop_all
}

@test "ssh peer: /start deploys the daemon, a reply streams, a question is answered, files go both ways" {
	printf 'PNGDATA' >pic.png
	mkdir -p out
	bridge --files out <<-'EOF'
	say test:1 /start gpu app
	wait Session ready 60
	say test:1 count:30
	wait ^1 2 3 .* 30$ 30
	say test:1 ask
	waitop "op": "ask" 20
	button test:1 2
	wait Mock response: A bit of both 20
	attach test:1 pic.png what is this
	wait Mock response: what is this\n/ 30
	say test:1 /get ~/Projects/app/pushed.txt
	wait Cannot fetch 20
	EOF
	assert_success
	# the directory was made on the peer, the attachment landed there
	[ -d "$SSHD_REMOTE_HOME/Projects/app" ]
	remote=$(grep -o '/[^ ]*_pic.png' view.txt | head -1)
	[ "$(cat "$remote")" = PNGDATA ]
	printf 'from the peer' >"$SSHD_REMOTE_HOME/Projects/app/result.txt"
	bridge --files out <<-'EOF'
	say test:1 /get ~/Projects/app/result.txt
	wait FILE result.txt 30
	say test:1 /health
	wait Daemon Health - gpu 30
	EOF
	assert_success
	[ "$(cat out/result.txt)" = 'from the peer' ]
}
