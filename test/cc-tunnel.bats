#!/usr/bin/env bats
# cc-tunnel against real OpenSSH sshd processes on 127.0.0.1 (test/lib/sshd.bash)
# and a small HTTP "daemon" on the peer side answering POST /rpc.

load lib/common.bash
load lib/sshd.bash
bats_require_minimum_version 1.5.0

stub_daemon() {	# starts the stub; sets STUB_PORT, STUB_PID
	cat >"$BATS_TEST_TMPDIR/stub.py" <<'EOF'
import http.server, json, os, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        body = json.dumps({"result": {"ok": True, "version": "stub", "pid": os.getpid(),
                                      "method": req.get("method")}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        n = int(self.path.rsplit("/", 1)[-1] or "0")
        self.send_response(200)
        self.send_header("Content-Length", str(n))
        self.end_headers()
        chunk = b"x" * 65536
        while n > 0:
            k = min(n, len(chunk)); self.wfile.write(chunk[:k]); n -= k
http.server.ThreadingHTTPServer.request_queue_size = 256
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1], "w") as f: f.write(str(s.server_address[1]))
s.serve_forever()
EOF
	python3 "$BATS_TEST_TMPDIR/stub.py" "$BATS_TEST_TMPDIR/stub.port" &
	STUB_PID=$!
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/stub.port" ] && break; sleep 0.05; done
	STUB_PORT=$(cat "$BATS_TEST_TMPDIR/stub.port")
	# the daemon's port file on the peer (the sshd sessions' HOME)
	mkdir -p "$SSHD_REMOTE_HOME/.codecast"
	echo "$STUB_PORT" >"$SSHD_REMOTE_HOME/.codecast/daemon.port"
}

setup() {
	cc_setup_home
	sshd_setup
	CFG=$BATS_TEST_TMPDIR/config.yaml
	export CODECAST_CONFIG=$CFG
	STUB_PID= AGENT_PID= BLACKHOLE_PID= DAEMON_PID= NS=
}

netns_up() {	# a network namespace of this test's own, linked by a veth
		# pair: sets NS, NS_ADDR (its side), NS_IF (its interface)
	local n a b
	[ "$(id -u)" = 0 ] && command -v ip >/dev/null ||
		skip "needs root and iproute2 to make a network namespace"
	n=$(( (RANDOM << 15 | RANDOM) % 16384 ))
	a=$((n / 64)) b=$(( (n % 64) * 4 ))
	NS=cctest-$$-$n
	NS_IF=ccn$n
	NS_ADDR=10.231.$a.$((b + 2))
	ip netns add "$NS"
	ip link add "cch$n" type veth peer name "$NS_IF"
	ip link set "$NS_IF" netns "$NS"
	ip addr add "10.231.$a.$((b + 1))/30" dev "cch$n"
	ip link set "cch$n" up
	ip netns exec "$NS" ip addr add "$NS_ADDR/30" dev "$NS_IF"
	ip netns exec "$NS" ip link set "$NS_IF" up
	ip netns exec "$NS" ip link set lo up
}

teardown() {
	local f bad=
	cc-tunnel --close-all >/dev/null 2>&1 || true
	sleep 0.1
	# holders log to their files: a sanitizer report there fails the test
	for f in "$HOME"/.codecast/tunnels/*.log "$BATS_TEST_TMPDIR"/fg.err; do
		[ -f "$f" ] && grep -q 'Sanitizer\|runtime error:' "$f" && { cat "$f" >&2; bad=1; }
	done
	# a holder that did not answer: stop it by its recorded pid
	for f in "$HOME"/.codecast/tunnels/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	[ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null
	[ -n "$BLACKHOLE_PID" ] && kill "$BLACKHOLE_PID" 2>/dev/null
	[ -n "$DAEMON_PID" ] && [ "$DAEMON_PID" != null ] && kill "$DAEMON_PID" 2>/dev/null
	sshd_stop_all
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	[ -z "$bad" ] || fail "sanitizer report in a holder log"
}

peer() {	# id port [extra yaml lines...]
	local id=$1 port=$2; shift 2
	printf '  %s:\n    transport: ssh\n    ssh_host: 127.0.0.1\n    ssh_port: %s\n    daemon_port: 1\n' "$id" "$port"
	local l
	for l in "$@"; do printf '    %s\n' "$l"; done
}

write_config() {	# peer blocks on stdin
	{ echo "peers:"; cat; } >"$CFG"
}

tunnel_answers() {	# PEER: cc-tunnel prints a port ($port) that the stub answers on
	run cc-tunnel "$1"
	assert_success
	port=$output
	run rpc_via "$port"
	assert_success
	assert_output --partial '"ok": true'
}

rpc_via() {	# port -> the stub's answer to health.check
	curl -sf --max-time 20 -H 'Content-Type: application/json' \
		-d '{"method":"health.check"}' "http://127.0.0.1:$1/rpc"
}

@test "--help prints usage and the exit codes; a bad option exits 2" {
	run cc-tunnel --help
	assert_success
	assert_output --partial "usage: cc-tunnel"
	assert_output --partial "4 host key refused"
	run cc-tunnel --bogus
	assert_equal "$status" 2
}

@test "key auth: prints a port in 19100..19299 that reaches the daemon's real port" {
	sshd_start a
	stub_daemon
	peer a "$SSHD_PORT_a" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" | write_config
	run cc-tunnel a
	assert_success
	port=$output
	[ "$port" -ge 19100 ] && [ "$port" -le 19299 ]
	run rpc_via "$port"
	assert_success
	assert_output --partial '"ok": true'
	grep -q "Accepted publickey for root" "$(sshd_log a)"
	# accept-new recorded the host in [host]:port form
	run ssh-keygen -F "[127.0.0.1]:$SSHD_PORT_a" -f "$HOME/.ssh/known_hosts"
	assert_success
	assert_output --partial ssh-ed25519
	[ "$(stat -c %a "$HOME/.codecast/tunnels")" = 700 ]
	[ "$(stat -c %a "$HOME/.codecast/tunnels/a.pid")" = 600 ]
	[ "$(stat -c %a "$HOME/.codecast/tunnels/a.sock")" = 600 ]
}

@test "a live holder is reused: same port, no new SSH connection; --list, --close" {
	sshd_start a
	peer a "$SSHD_PORT_a" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" | write_config
	run cc-tunnel --no-ensure a
	assert_success
	first=$output
	conns=$(sshd_connections a)
	[ "$conns" -eq 1 ]
	run cc-tunnel --no-ensure a
	assert_success
	assert_output "$first"
	run cc-tunnel a		# warm: no ensure, no SSH
	assert_output "$first"
	[ "$(sshd_connections a)" -eq "$conns" ]
	run cc-tunnel --list
	assert_success
	pid=$(cat "$HOME/.codecast/tunnels/a.pid")
	echo "$output" | jq -e --argjson p "$first" --argjson pid "$pid" \
		'select(.peer=="a" and .port==$p and .pid==$pid and .alive==true and (.started|test("^20")))'
	run cc-tunnel --list -t
	assert_success
	assert_line --regexp '^PEER +PORT +PID +STARTED +ALIVE'
	assert_line --regexp "^a +$first +$pid "
	run cc-tunnel --close a
	assert_success
	! kill -0 "$pid" 2>/dev/null || false
	[ ! -e "$HOME/.codecast/tunnels/a.pid" ]
	run cc-tunnel --list
	assert_output ""
}

@test "a dead holder is cleaned up and replaced" {
	sshd_start a
	peer a "$SSHD_PORT_a" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" | write_config
	run cc-tunnel --no-ensure a
	assert_success
	pid=$(cat "$HOME/.codecast/tunnels/a.pid")
	kill -9 "$pid"
	sleep 0.2
	run cc-tunnel --list
	assert_output --partial '"alive":false'
	run cc-tunnel --no-ensure a
	assert_success
	[ "$(cat "$HOME/.codecast/tunnels/a.pid")" != "$pid" ]
	[ "$(sshd_connections a)" -eq 2 ]
}

@test "ssh-agent auth (no key configured, no default identities)" {
	sshd_start a
	eval "$(ssh-agent -s)" >/dev/null
	AGENT_PID=$SSH_AGENT_PID
	ssh-add -q "$SSHD_CLIENT_KEY"
	peer a "$SSHD_PORT_a" "ssh_user: root" | write_config
	run cc-tunnel --no-ensure a
	assert_success
	grep -q "Accepted publickey for root" "$(sshd_log a)"
	# and without the agent the same config fails, naming what was tried
	cc-tunnel --close a
	unset SSH_AUTH_SOCK
	run cc-tunnel --no-ensure a
	assert_equal "$status" 5
	assert_output --regexp "^cc-tunnel: a: authentication as root failed \(tried: nothing; server offers: publickey"
}

@test "default identity ~/.ssh/id_ed25519 is used when no ssh_key is set" {
	sshd_start a
	cp "$SSHD_CLIENT_KEY" "$HOME/.ssh/id_ed25519"
	peer a "$SSHD_PORT_a" "ssh_user: root" | write_config
	run env -u SSH_AUTH_SOCK cc-tunnel --no-ensure a
	assert_success
}

@test "password auth, literal and file:, and the failure names the methods" {
	sshd_password_user || fail "needs root to create the password user"
	sshd_start pw "PasswordAuthentication yes" "KbdInteractiveAuthentication no"
	printf '  %s\n' "$SSHD_PW_PASS" >"$BATS_TEST_TMPDIR/pw.txt"
	{
		peer lit "$SSHD_PORT_pw" "ssh_user: $SSHD_PW_USER" "password: '$SSHD_PW_PASS'"
		peer file "$SSHD_PORT_pw" "ssh_user: $SSHD_PW_USER" "password: file:$BATS_TEST_TMPDIR/pw.txt"
		peer bad "$SSHD_PORT_pw" "ssh_user: $SSHD_PW_USER" "password: wrong"
	} | write_config
	run env -u SSH_AUTH_SOCK cc-tunnel --no-ensure lit
	assert_success
	run env -u SSH_AUTH_SOCK cc-tunnel --no-ensure file
	assert_success
	[ "$(grep -c "Accepted password for $SSHD_PW_USER" "$(sshd_log pw)")" -eq 2 ]
	run env -u SSH_AUTH_SOCK cc-tunnel --no-ensure bad
	assert_equal "$status" 5
	assert_one_line_error
	assert_output --partial "cc-tunnel: bad: authentication as $SSHD_PW_USER failed (tried: password"
	# the password never shows up in argv of the holders
	for f in "$HOME"/.codecast/tunnels/*.pid; do
		! tr '\0' ' ' <"/proc/$(cat "$f")/cmdline" | grep -q "$SSHD_PW_PASS" || false
	done
}

@test "keyboard-interactive is answered with the password" {
	sshd_password_user || fail "needs root to create the password user"
	sshd_start kbd "UsePAM yes" "PasswordAuthentication no" "KbdInteractiveAuthentication yes"
	peer k "$SSHD_PORT_kbd" "ssh_user: $SSHD_PW_USER" "password: '$SSHD_PW_PASS'" | write_config
	run env -u SSH_AUTH_SOCK cc-tunnel --no-ensure k
	assert_success
	grep -q "Accepted keyboard-interactive/pam for $SSHD_PW_USER" "$(sshd_log kbd)"
}

@test "host_key_check: strict refuses an unknown host; hashed entries match" {
	sshd_start a
	peer a "$SSHD_PORT_a" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" \
		"host_key_check: strict" | write_config
	run cc-tunnel --no-ensure a
	assert_equal "$status" 4
	assert_one_line_error
	assert_output "cc-tunnel: a: host key for [127.0.0.1]:$SSHD_PORT_a is not in $HOME/.ssh/known_hosts (host_key_check: strict)"
	[ ! -s "$HOME/.ssh/known_hosts" ]
	# a hashed entry for the right key lets it in
	{ printf '[127.0.0.1]:%s ' "$SSHD_PORT_a"; cut -d' ' -f1,2 "$SSHD_DIR/a/host_ed25519.pub"; } \
		>"$HOME/.ssh/known_hosts"
	ssh-keygen -q -H -f "$HOME/.ssh/known_hosts" 2>/dev/null
	rm -f "$HOME/.ssh/known_hosts.old"
	grep -q '^|1|' "$HOME/.ssh/known_hosts"
	run cc-tunnel --no-ensure a
	assert_success
}

@test "a changed host key is refused, naming known_hosts and the line" {
	sshd_start a
	ssh-keygen -q -t ed25519 -N '' -f "$BATS_TEST_TMPDIR/other"
	{
		echo "# comment"
		printf '[127.0.0.1]:%s ' "$SSHD_PORT_a"; cut -d' ' -f1,2 "$BATS_TEST_TMPDIR/other.pub"
	} >"$HOME/.ssh/known_hosts"
	peer a "$SSHD_PORT_a" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" | write_config
	run cc-tunnel --no-ensure a
	assert_equal "$status" 4
	assert_one_line_error
	assert_output --partial "cc-tunnel: a: host key for [127.0.0.1]:$SSHD_PORT_a has changed ($HOME/.ssh/known_hosts:2)"
	[ "$(wc -l <"$HOME/.ssh/known_hosts")" -eq 2 ]
}

@test "two-hop jump chain: each hop its own user and key; the target is reached through j2" {
	sshd_start j1 "LogLevel DEBUG1"
	sshd_start j2 "LogLevel DEBUG1"
	sshd_start t
	stub_daemon
	ssh-keygen -q -t ed25519 -N '' -f "$BATS_TEST_TMPDIR/k2"
	cat "$BATS_TEST_TMPDIR/k2.pub" >>"$SSHD_DIR/authorized_keys"
	{
		peer j1 "$SSHD_PORT_j1" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY"
		peer j2 "$SSHD_PORT_j2" "ssh_user: root" "ssh_key: $BATS_TEST_TMPDIR/k2" "proxy_jump: j1"
		peer t "$SSHD_PORT_t" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" "proxy_jump: j2"
	} | write_config
	tunnel_answers t
	# j1 opened the way to j2, j2 to the target
	grep -q "direct-tcpip.*127.0.0.1 port $SSHD_PORT_j2\|target 127.0.0.1 port $SSHD_PORT_j2\|127.0.0.1:$SSHD_PORT_j2" "$(sshd_log j1)"
	grep -q "127.0.0.1 port $SSHD_PORT_t\|127.0.0.1:$SSHD_PORT_t" "$(sshd_log j2)"
	[ "$(sshd_connections j1)" -eq 1 ]
	[ "$(sshd_connections j2)" -eq 1 ]
	[ "$(sshd_connections t)" -eq 1 ]
	# every hop was recorded under its own name
	ssh-keygen -F "[127.0.0.1]:$SSHD_PORT_t" -f "$HOME/.ssh/known_hosts" >/dev/null
	ssh-keygen -F "[127.0.0.1]:$SSHD_PORT_j2" -f "$HOME/.ssh/known_hosts" >/dev/null
}

@test "a failing jump hop is named" {
	sshd_start t
	dead=$(sshd_free_port)
	{
		peer j1 "$dead" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY"
		peer t "$SSHD_PORT_t" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" "proxy_jump: j1"
	} | write_config
	run cc-tunnel --no-ensure t
	assert_equal "$status" 3
	assert_one_line_error
	assert_output "cc-tunnel: t: jump host j1: connect 127.0.0.1:$dead: Connection refused"
}

@test "proxy_command: OpenSSH's ssh -W through a bastion carries the connection; %h %p %r %n" {
	sshd_start b "LogLevel DEBUG1"
	sshd_start t
	stub_daemon
	pc="echo %r %n %h %p >$BATS_TEST_TMPDIR/tokens; exec ssh -F /dev/null -i $SSHD_CLIENT_KEY -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$BATS_TEST_TMPDIR/bastion_known -p $SSHD_PORT_b -W %h:%p root@127.0.0.1"
	peer t "$SSHD_PORT_t" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" "proxy_command: \"$pc\"" | write_config
	tunnel_answers t
	assert_equal "$(cat "$BATS_TEST_TMPDIR/tokens")" "root t 127.0.0.1 $SSHD_PORT_t"
	# the bastion forwarded to the target; the target saw one session
	grep -q "127.0.0.1 port $SSHD_PORT_t\|127.0.0.1:$SSHD_PORT_t" "$(sshd_log b)"
	[ "$(sshd_connections b)" -eq 1 ]
	[ "$(sshd_connections t)" -eq 1 ]
	# the target's key was checked and recorded under its own name
	ssh-keygen -F "[127.0.0.1]:$SSHD_PORT_t" -f "$HOME/.ssh/known_hosts" >/dev/null
	# closing the tunnel stops the proxy command
	pgrep -f -- "-W 127.0.0.1:$SSHD_PORT_t" >/dev/null
	cc-tunnel --close t
	for _ in $(seq 50); do pgrep -f -- "-W 127.0.0.1:$SSHD_PORT_t" >/dev/null || break; sleep 0.1; done
	run pgrep -f -- "-W 127.0.0.1:$SSHD_PORT_t"
	assert_failure
	# a jump host reached by proxy_command starts a chain
	sshd_start t2
	{
		peer t "$SSHD_PORT_t" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" "proxy_command: \"$pc\""
		peer t2 "$SSHD_PORT_t2" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" "proxy_jump: t"
	} | write_config
	tunnel_answers t2
	[ "$(sshd_connections b)" -eq 2 ]
	[ "$(sshd_connections t2)" -eq 1 ]
}

@test "proxy_command that fails: one line with its exit status (exit 3); its own words in the log" {
	sshd_start t
	peer t "$SSHD_PORT_t" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" \
		"proxy_command: \"echo 'bastion: no route' >&2; exit 7\"" | write_config
	run cc-tunnel --no-ensure t
	assert_equal "$status" 3
	assert_one_line_error
	assert_output "cc-tunnel: t: proxy_command exited with status 7 before the ssh handshake with 127.0.0.1:$SSHD_PORT_t"
	grep -qx 'bastion: no route' "$HOME/.codecast/tunnels/t.log"
	# in the foreground (-f) the command's stderr is the terminal's
	run cc-tunnel -f --no-ensure t
	assert_equal "$status" 3
	assert_line --index 0 "bastion: no route"
}

@test "a peer that goes silent (link cut: no FIN, no RST) is noticed in interval x count; back, the holder reconnects" {
	netns_up
	SSHD_NETNS=$NS SSHD_ADDR=$NS_ADDR sshd_start s
	printf 'peers:\n  s:\n    ssh_host: %s\n    ssh_port: %s\n    ssh_user: root\n    ssh_key: %s\n    daemon_port: 1\n    server_alive_interval: 1\n    server_alive_count_max: 2\n' \
		"$NS_ADDR" "$SSHD_PORT_s" "$SSHD_CLIENT_KEY" >"$CFG"
	port=$(cc-tunnel --no-ensure s)
	run cc-tunnel exec s -- echo hi
	assert_output hi
	log=$HOME/.codecast/tunnels/s.log
	# the peer's side of the link goes down: its packets are dropped
	ip netns exec "$NS" ip link set "$NS_IF" down
	start=$SECONDS
	for _ in $(seq 200); do grep -q 'connection lost' "$log" && break; sleep 0.1; done
	# the kernel's verdict: no answer to our keepalives, or (when the
	# neighbour entry has expired first) no route to the host
	grep -Eq 'connection lost: (the peer stopped answering \(no answer in 2 s\)|No route to host)$' "$log" ||
		{ cat "$log"; false; }
	# keepalives every 1 s, unanswered for 2 s: noticed in seconds, not
	# after TCP's quarter of an hour of retries
	[ $((SECONDS - start)) -le 12 ]
	ip netns exec "$NS" ip link set "$NS_IF" up
	for _ in $(seq 100); do
		run cc-tunnel exec s -- echo back
		[ "$output" = back ] && break
		sleep 0.2
	done
	assert_output back
	assert_equal "$(cc-tunnel --no-ensure s)" "$port"
	[ "$(sshd_connections s)" -eq 2 ]
}

@test "exec: stdout, stderr, stdin and the exit status pass through, no new handshake" {
	sshd_start a
	peer a "$SSHD_PORT_a" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" | write_config
	run cc-tunnel --no-ensure a
	assert_success
	conns=$(sshd_connections a)
	run bash -c 'printf "line1\nline2\n" | cc-tunnel exec a -- "tr a-z A-Z; echo oops >&2; exit 7" 2>"$BATS_TEST_TMPDIR/err"'
	assert_equal "$status" 7
	assert_output "LINE1
LINE2"
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = oops ]
	run cc-tunnel exec a -- true
	assert_success
	run cc-tunnel exec a -- 'kill -9 $$'
	assert_equal "$status" 137
	# binary-safe and larger than the buffers
	head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	cc-tunnel exec a -- cat <"$BATS_TEST_TMPDIR/blob" >"$BATS_TEST_TMPDIR/blob.out"
	cmp "$BATS_TEST_TMPDIR/blob" "$BATS_TEST_TMPDIR/blob.out"
	[ "$(sshd_connections a)" -eq "$conns" ]
}

@test "with the tunnel up, killing the sshd child: the same port works again after reconnect" {
	sshd_start a
	stub_daemon
	peer a "$SSHD_PORT_a" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" | write_config
	run cc-tunnel a
	assert_success
	port=$output
	rpc_via "$port" >/dev/null
	children=$(sshd_children a)
	[ -n "$children" ]
	kill -9 $children
	ok=
	for _ in $(seq 60); do
		if rpc_via "$port" >/dev/null 2>&1; then ok=1; break; fi
		sleep 0.25
	done
	[ -n "$ok" ] || { cat "$HOME/.codecast/tunnels/a.log"; fail "no answer after reconnect"; }
	[ "$(sshd_connections a)" -eq 2 ]
	run cc-tunnel a
	assert_output "$port"
	grep -q "connection lost" "$HOME/.codecast/tunnels/a.log"
}

@test "a peer that is down fails within the timeout with one line" {
	dead=$(sshd_free_port)
	peer a "$dead" "ssh_user: root" | write_config
	run cc-tunnel --no-ensure a
	assert_equal "$status" 3
	assert_one_line_error
	assert_output "cc-tunnel: a: connect 127.0.0.1:$dead: Connection refused"
	# a port that accepts but never speaks SSH: the handshake times out
	python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(5)
open(sys.argv[1],"w").write(str(s.getsockname()[1])); c=s.accept(); time.sleep(60)' \
		"$BATS_TEST_TMPDIR/bh.port" &
	BLACKHOLE_PID=$!
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/bh.port" ] && break; sleep 0.05; done
	peer a "$(cat "$BATS_TEST_TMPDIR/bh.port")" "ssh_user: root" | write_config
	start=$(date +%s)
	run cc-tunnel --no-ensure --timeout 2 a
	end=$(date +%s)
	assert_equal "$status" 3
	assert_one_line_error
	assert_output --partial "cc-tunnel: a: ssh handshake with 127.0.0.1:"
	assert_output --partial "timed out"
	[ $((end - start)) -le 5 ]
	# name resolution
	printf 'peers:\n  n:\n    transport: ssh\n    ssh_host: no-such-host.invalid\n' >"$CFG"
	run cc-tunnel --no-ensure n
	assert_equal "$status" 3
	assert_one_line_error
	assert_output --partial "cc-tunnel: n: resolve no-such-host.invalid:"
}

@test "transport local prints the daemon's port; http prints one https:// URL" {
	cat >"$CFG" <<EOF
peers:
  here:
    transport: local
    daemon_port: 9345
  web:
    transport: http
    address: gpu.example.org:9100
  url:
    transport: http
    address: https://gpu.example.org:9100
EOF
	# (--no-ensure: nothing listens there; test/demo.bats covers the ensure)
	run cc-tunnel --no-ensure here
	assert_success
	assert_output 9345
	mkdir -p "$HOME/.codecast"
	echo 9402 >"$HOME/.codecast/daemon.port"
	run cc-tunnel --no-ensure here
	assert_output 9402
	run cc-tunnel web
	assert_output "https://gpu.example.org:9100"
	run cc-tunnel url
	assert_output "https://gpu.example.org:9100"
	run cc-tunnel nope
	assert_failure
	assert_one_line_error
}

@test "-f holds the tunnel in the foreground and logs on stderr" {
	sshd_start a
	stub_daemon
	peer a "$SSHD_PORT_a" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" | write_config
	cc-tunnel -f a 2>"$BATS_TEST_TMPDIR/fg.err" &
	fg=$!
	for _ in $(seq 100); do
		[ -s "$HOME/.codecast/tunnels/a.port" ] && break
		sleep 0.05
	done
	port=$(cat "$HOME/.codecast/tunnels/a.port")
	run rpc_via "$port"
	assert_success
	run cc-tunnel a
	assert_output "$port"
	kill "$fg"
	wait "$fg" || true
	grep -q "a: connected (1 hop)" "$BATS_TEST_TMPDIR/fg.err"
	[ ! -e "$HOME/.codecast/tunnels/a.pid" ]
}

@test "many concurrent connections through one tunnel" {
	sshd_start a
	stub_daemon
	peer a "$SSHD_PORT_a" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" | write_config
	port=$(cc-tunnel a)
	pids=()
	for i in $(seq 40); do
		rpc_via "$port" >"$BATS_TEST_TMPDIR/r$i" 2>"$BATS_TEST_TMPDIR/e$i" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || true; done
	[ "$(cat "$BATS_TEST_TMPDIR"/r* | grep -o '"ok": true' | wc -l)" -eq 40 ]
	# and a 20 MB body arrives whole
	n=$(curl -s --max-time 30 "http://127.0.0.1:$port/20000000" | wc -c)
	[ "$n" -eq 20000000 ]
}

@test "ensure: with no daemon on the peer, it is deployed and started over the held connection" {
	sshd_start a
	fp=$(sshd_free_port)
	peer a "$SSHD_PORT_a" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" | write_config
	sed -i "s/daemon_port: 1/daemon_port: $fp/" "$CFG"
	run cc-tunnel a
	assert_success
	port=$output
	run cc-rpc "$port" health.check
	assert_success
	DAEMON_PID=$(echo "$output" | jq -r .pid)
	echo "$output" | jq -e '.ok == true'
	[ -x "$SSHD_REMOTE_HOME/.codecast/daemon/cc-daemon" ]
	# deploy and start went over the holder's one connection
	[ "$(sshd_connections a)" -eq 1 ]
}

@test "peer down: exec fails at once; when sshd is back the holder reconnects on the same port" {
	sshd_start a
	stub_daemon
	peer a "$SSHD_PORT_a" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" | write_config
	port=$(cc-tunnel a)
	sshd_stop a
	# the holder notices the closed connection (slower under sanitizers)
	for _ in $(seq 40); do
		start=$(date +%s)
		run cc-tunnel exec a -- true
		[ "$status" -eq 255 ] && break
		sleep 0.25
	done
	assert_equal "$status" 255
	assert_output --partial "reconnecting"
	[ $(($(date +%s) - start)) -le 3 ]
	run cc-tunnel --list
	assert_output --partial '"alive":true'
	# the same sshd config (same port) comes back
	/usr/sbin/sshd -D -f "$SSHD_DIR/a/sshd_config" -E "$SSHD_DIR/a/sshd.log" &
	echo $! >"$SSHD_DIR/a/pid"
	ok=
	for _ in $(seq 80); do
		if rpc_via "$port" >/dev/null 2>&1; then ok=1; break; fi
		sleep 0.25
	done
	[ -n "$ok" ] || { cat "$HOME/.codecast/tunnels/a.log"; fail "no answer after sshd came back"; }
	run cc-tunnel exec a -- echo back
	assert_success
	assert_output back
	grep -q "reconnect failed" "$HOME/.codecast/tunnels/a.log"
}

@test "hardening #4: through the tunnel only the owner drives the daemon; another user is refused on the head and on the peer" {
	command -v runuser >/dev/null || skip "no runuser"
	[ "$(id -u)" = 0 ] || skip "runuser -u nobody needs root"
	sshd_start a
	fp=$(sshd_free_port)
	peer a "$SSHD_PORT_a" "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" | write_config
	sed -i "s/daemon_port: 1/daemon_port: $fp/" "$CFG"
	run cc-tunnel a
	assert_success
	port=$output
	local body='{"method":"session.create","params":{"path":"/tmp"}}' dport
	# another user on the head, at the tunnel's port
	run runuser -u nobody -- curl -sS -w ' %{http_code}' -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/rpc"
	assert_output "Unauthorized: missing Bearer token 401"
	# another user on the peer, at the daemon's own port
	dport=$(cat "$SSHD_REMOTE_HOME/.codecast/daemon.port")
	run runuser -u nobody -- curl -sS -w ' %{http_code}' -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$dport/rpc"
	assert_output "Unauthorized: missing Bearer token 401"
	# the owner: unchanged workflow, the token found from the port
	run --separate-stderr cc-rpc "$(cc-tunnel a)" health.check
	assert_success
	DAEMON_PID=$(echo "$output" | jq -r .pid)
	run --separate-stderr cc-rpc "$(cc-tunnel a)" session.create path=/tmp
	assert_success
	echo "$output" | jq -e '.sessionId | length == 36'
	# the token cached 0600 on the head, the peer's own
	[ "$(stat -c %a "$HOME/.codecast/tunnels/a.token")" = 600 ]
	assert_equal "$(cat "$HOME/.codecast/tunnels/a.token")" "$(cat "$SSHD_REMOTE_HOME/.codecast/daemon.token")"
	run --separate-stderr cc-rpc "$port" session.list
	assert_success
	echo "$output" | jq -e '.sessions | length == 1'
	# --close removes the cache with the holder's state
	cc-tunnel --close a
	[ ! -e "$HOME/.codecast/tunnels/a.token" ]
}

@test "hardening #8: a loose ~/.codecast/tunnels or another user's socket is refused, with how to fix it" {
	peer a 1 "ssh_user: root" "ssh_key: $SSHD_CLIENT_KEY" | write_config
	mkdir -p "$HOME/.codecast/tunnels"
	chmod 777 "$HOME/.codecast/tunnels"
	run cc-tunnel exec a -- true
	assert_failure
	assert_output --partial "$HOME/.codecast/tunnels: mode 0777 lets other users in; refusing to use it (chmod 700 $HOME/.codecast/tunnels)"
	run cc-tunnel a
	assert_failure
	assert_output --partial "(chmod 700 $HOME/.codecast/tunnels)"
	chmod 700 "$HOME/.codecast/tunnels"
	chmod 777 "$HOME/.codecast"
	run cc-tunnel --list
	assert_failure
	assert_output --partial "$HOME/.codecast: mode 0777 lets other users in; refusing to use it (chmod go-w $HOME/.codecast)"
	chmod 700 "$HOME/.codecast"
	# a control socket that is not this user's: nothing is sent to it
	command -v runuser >/dev/null || skip "no runuser"
	[ "$(id -u)" = 0 ] || skip "needs root to make another user's socket"
	python3 - "$HOME/.codecast/tunnels/a.sock" "$BATS_TEST_TMPDIR/got" <<'PY' &
import os, socket, sys, pwd
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
os.chown(sys.argv[1], pwd.getpwnam("nobody").pw_uid, -1)
s.listen(8)
s.settimeout(8)
try:
    c, _ = s.accept()
    open(sys.argv[2], "wb").write(c.recv(100))
except socket.timeout:
    pass
PY
	STUB_PID=$!
	for _ in $(seq 50); do [ -S "$HOME/.codecast/tunnels/a.sock" ] && break; sleep 0.05; done
	sleep 0.2
	run cc-tunnel exec a -- true
	assert_failure
	assert_output --partial "$HOME/.codecast/tunnels/a.sock: not a socket of yours"
	[ ! -e "$BATS_TEST_TMPDIR/got" ]
}
