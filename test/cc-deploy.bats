#!/usr/bin/env bats
# cc-deploy: the daemon's life on a peer, skills and files — against real
# processes on this machine: `transport: local` peers (no SSH), and peers
# behind a real OpenSSH sshd on loopback (test/lib/sshd.bash).

load lib/common.bash
load lib/sshd.bash

free_port() {
	python3 -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

setup() {
	cc_setup_home
	# the mock CLI as `claude`, found through $HOME/.local/bin as on a peer
	mkdir -p "$HOME/.local/bin"
	ln -s "$CODECAST_TOP/test/fakes/mock-claude" "$HOME/.local/bin/claude"
	BASE=$(free_port)
	CFG=$BATS_TEST_TMPDIR/config.yaml
	cat >"$CFG" <<EOF
peers:
  local:
    transport: local
    daemon_port: $BASE
    default_paths: ["$BATS_TEST_TMPDIR/work"]
    project_path: "~/Projects"
skills:
  shared_dir: "$BATS_TEST_TMPDIR/shared"
daemon:
  install_dir: "~/.codecast/daemon"
  log_file: "~/.codecast/daemon.log"
file_pool:
  remote_dir: "$BATS_TEST_TMPDIR/pool dir"
file_forward:
  download_dir: "$BATS_TEST_TMPDIR/down loads"
EOF
	export CODECAST_CONFIG=$CFG
	DAEMON_PIDS=()
}

# Stop every daemon a test started, by the pid its health.check reports.
stop_daemon_in() {	# HOME-dir
	local pf=$1/.codecast/daemon.port port pid
	[ -f "$pf" ] || return 0
	port=$(cat "$pf")
	pid=$(cc-rpc --timeout 2 "$port" health.check 2>/dev/null | jq -r .pid) || return 0
	[ -n "$pid" ] && [ "$pid" != null ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
}

teardown() {
	local p f
	cc-tunnel --close-all >/dev/null 2>&1 || true
	for f in "$HOME"/.codecast/tunnels/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	stop_daemon_in "$HOME"
	[ -n "${SSHD_REMOTE_HOME:-}" ] && stop_daemon_in "$SSHD_REMOTE_HOME"
	for p in "${DAEMON_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "${SSHD_DIR:-}" ] && sshd_stop_all
	[ -n "${BLACKHOLE_PID:-}" ] && kill "$BLACKHOLE_PID" 2>/dev/null
	true
}

health_pid() {	# PORT
	cc-rpc --timeout 5 "$1" health.check | jq -r .pid
}

# ---- usage ---------------------------------------------------------------

@test "--help prints usage on stdout and exits 0; a bad command exits 2" {
	run cc-deploy --help
	assert_success
	assert_output --partial "cc-deploy [-c config] [-v] ensure PEER"
	run cc-deploy frobnicate
	assert_equal "$status" 2
	run cc-deploy ensure nosuchpeer
	assert_equal "$status" 2
	assert_one_line_error
	assert_output "cc-deploy: nosuchpeer: no such peer in $CFG"
	# an unreachable ssh peer: exit 3 (as cc-tunnel), one line
	sed -i "s/^peers:\$/peers:\n  gone:\n    ssh_host: 127.0.0.1\n    ssh_port: 1/" "$CFG"
	for c in ensure deploy start stop; do
		run cc-deploy "$c" gone
		assert_equal "$status" 3
		assert_one_line_error
		assert_output --regexp '^cc-deploy: gone: .*(refused|connect)'
	done
}

# ---- ensure / deploy on a local peer ------------------------------------

@test "ensure on a local peer with nothing installed deploys and starts cc-daemon; a second ensure uploads nothing" {
	[ ! -e "$HOME/.codecast/daemon/cc-daemon" ]
	run cc-deploy -v ensure local
	assert_success
	port=${lines[-1]}
	[[ "$port" =~ ^[0-9]+$ ]]
	[ "$port" -ge "$BASE" ] && [ "$port" -le $((BASE + 100)) ]
	assert_output --partial "cc-deploy: local: uploaded cc-daemon"
	assert_output --partial "cc-deploy: local: started the daemon"
	# the deployed binary is ours, byte for byte, executable
	[ -x "$HOME/.codecast/daemon/cc-daemon" ]
	cmp "$HOME/.codecast/daemon/cc-daemon" "$(command -v cc-daemon-static || command -v cc-daemon)"
	# it answers, and it is the deployed one
	run cc-rpc "$port" health.check
	assert_success
	[ "$(jq -r .ok <<<"$output")" = true ]
	pid=$(jq -r .pid <<<"$output")
	[ "$(readlink /proc/$pid/exe)" = "$HOME/.codecast/daemon/cc-daemon" ]
	# its environment: DAEMON_PORT and ~/.local/bin first on PATH
	tr '\0' '\n' </proc/$pid/environ | grep -qx "DAEMON_PORT=$BASE"
	tr '\0' '\n' </proc/$pid/environ | grep -q "^PATH=$HOME/.local/bin:"
	# detached: its own session
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]

	ino=$(stat -c %i:%Y "$HOME/.codecast/daemon/cc-daemon")
	run cc-deploy -v ensure local
	assert_success
	assert_equal "${lines[-1]}" "$port"
	assert_output --partial "nothing to do"
	refute_output --partial "uploaded"
	[ "$(stat -c %i:%Y "$HOME/.codecast/daemon/cc-daemon")" = "$ino" ]
	[ "$(health_pid "$port")" = "$pid" ]
}

@test "the README pipeline on a local peer: cc-rpc \$(cc-tunnel local) session.send streams the mock CLI's reply" {
	run cc-deploy ensure local
	assert_success
	port=$(cc-tunnel local)
	assert_equal "$port" "$output"
	mkdir -p "$BATS_TEST_TMPDIR/work"
	sid=$(cc-rpc "$port" session.create path="$BATS_TEST_TMPDIR/work" | jq -r .sessionId)
	[ -n "$sid" ] && [ "$sid" != null ]
	run cc-rpc "$port" session.send sessionId="$sid" message='echo:hello from the peer'
	assert_success
	jq -r 'select(.type=="text").content' <<<"$output" | grep -qx 'hello from the peer'
	jq -e 'select(.type=="result")' <<<"$output" >/dev/null
}

@test "stop, start, restart and status on a local peer" {
	run cc-deploy ensure local
	assert_success
	port=$output
	pid=$(health_pid "$port")

	run cc-deploy status local
	assert_success
	assert_equal "$(jq -r .status <<<"$output")" online
	assert_equal "$(jq -r .daemon <<<"$output")" running
	assert_equal "$(jq -r .port <<<"$output")" "$port"
	assert_equal "$(jq -r .transport <<<"$output")" local
	assert_equal "$(jq -c .default_paths <<<"$output")" "[\"$BATS_TEST_TMPDIR/work\"]"
	[ "$(jq -r .version <<<"$output")" = "$(cc-daemon --version | awk '{print $NF}')" ]

	run cc-deploy -v stop local
	assert_success
	assert_output "cc-deploy: local: stopped the daemon"
	! kill -0 "$pid" 2>/dev/null || false
	run cc-deploy status local
	assert_failure 1
	assert_equal "$(jq -r .daemon <<<"$output")" stopped
	assert_equal "$(jq -r .port <<<"$output")" null
	run cc-deploy -v stop local
	assert_success
	assert_output "cc-deploy: local: no daemon was running"

	run cc-deploy start local
	assert_success
	port2=$output
	pid2=$(health_pid "$port2")
	[ "$pid2" != "$pid" ]
	run cc-deploy restart local
	assert_success
	pid3=$(health_pid "$output")
	[ "$pid3" != "$pid2" ]
	! kill -0 "$pid2" 2>/dev/null || false

	run cc-deploy -t status local
	assert_success
	assert_line --index 0 --regexp '^PEER +TRANSPORT +HOST +USER +STATUS +DAEMON +PORT +VERSION'
	assert_line --index 1 --regexp '^local +local .* online +running +[0-9]+ '
}

@test "start without a binary on the peer fails in one line; ensure with auto_deploy off does too" {
	# (a cc-daemon on the peer's PATH would do: keep it off PATH here)
	run env PATH=/usr/bin:/bin "$CC_BIN/cc-deploy" start local
	assert_one_line_error
	assert_output --partial "cc-deploy: local: daemon not installed on local"
	sed -i 's/^daemon:$/daemon:\n  auto_deploy: false/' "$CFG"
	run env PATH=/usr/bin:/bin "$CC_BIN/cc-deploy" ensure local
	assert_one_line_error
	assert_output --partial "auto_deploy"
	[ ! -e "$HOME/.codecast/daemon/cc-daemon" ]
}

@test "the health check reads result.ok and a stale port file is not a running daemon" {
	mkdir -p "$HOME/.codecast"
	# a listener that answers like upstream's wrapper but says ok:false
	python3 - "$BASE" >"$BATS_TEST_TMPDIR/fake.log" 2>&1 <<'EOF' &
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        b = json.dumps({"result": {"ok": False, "version": "0.0.1"}}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
	DAEMON_PIDS+=($!)
	for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$BASE) 2>/dev/null && break; sleep 0.1; done
	echo "$BASE" >"$HOME/.codecast/daemon.port"
	run cc-deploy status local
	assert_failure 1
	assert_equal "$(jq -r .daemon <<<"$output")" stopped
	# ensure starts a real one beside it (the daemon moves to the next port)
	run cc-deploy ensure local
	assert_success
	[ "$output" -gt "$BASE" ]
	run cc-deploy status local
	assert_success
	assert_equal "$(jq -r .daemon <<<"$output")" running
}

@test "deploy restarts a running daemon whose version changed, and skips identical bytes" {
	run cc-deploy ensure local
	assert_success
	pid=$(health_pid "$output")
	run cc-deploy deploy local
	assert_success
	assert_equal "$(jq -r .uploaded <<<"$output")" false
	assert_equal "$(jq -r .restarted <<<"$output")" false
	[ "$(health_pid "$(cat "$HOME/.codecast/daemon.port")")" = "$pid" ]

	# a "new version": a wrapper that reports 9.9.9 and runs the real daemon
	real=$(command -v cc-daemon)
	cat >"$BATS_TEST_TMPDIR/newd" <<EOF
#!/bin/sh
case "\$1" in --version|-V) echo "codecast-daemon 9.9.9"; exit 0 ;; esac
exec "$real" "\$@"
EOF
	chmod +x "$BATS_TEST_TMPDIR/newd"
	sed -i "s|^daemon:\$|daemon:\n  binary: $BATS_TEST_TMPDIR/newd|" "$CFG"
	run cc-deploy deploy local
	assert_success
	assert_equal "$(jq -r .uploaded <<<"$output")" true
	assert_equal "$(jq -r .restarted <<<"$output")" true
	cmp "$HOME/.codecast/daemon/cc-daemon" "$BATS_TEST_TMPDIR/newd"
	! kill -0 "$pid" 2>/dev/null || false
	newpid=$(health_pid "$(cat "$HOME/.codecast/daemon.port")")
	[ -n "$newpid" ] && [ "$newpid" != "$pid" ]
	# no temporary files left beside it
	[ "$(ls -A "$HOME/.codecast/daemon")" = cc-daemon ]
}

# ---- skills ----------------------------------------------------------------

@test "skills: CLAUDE.md only when the project has none; skills merged without nesting" {
	S=$BATS_TEST_TMPDIR/shared
	mkdir -p "$S/.claude/skills/review" "$S/.claude/skills/deep/er"
	echo "shared rules" >"$S/CLAUDE.md"
	echo "review skill" >"$S/.claude/skills/review/SKILL.md"
	echo "deep" >"$S/.claude/skills/deep/er/x.md"
	P1="$BATS_TEST_TMPDIR/proj one's"
	mkdir -p "$P1/.claude/skills/mine"
	echo "my own rules" >"$P1/CLAUDE.md"
	echo "mine" >"$P1/.claude/skills/mine/SKILL.md"
	run cc-deploy skills local "$P1"
	assert_success
	assert_equal "$(cat "$P1/CLAUDE.md")" "my own rules"
	assert_equal "$(cat "$P1/.claude/skills/review/SKILL.md")" "review skill"
	assert_equal "$(cat "$P1/.claude/skills/deep/er/x.md")" "deep"
	assert_equal "$(cat "$P1/.claude/skills/mine/SKILL.md")" "mine"
	[ ! -e "$P1/.claude/skills/skills" ]
	refute_output --partial "CLAUDE.md"

	# ~ is the peer's home; a project without CLAUDE.md gets it
	run cc-deploy skills local "~/Projects/two"
	assert_success
	assert_equal "$(cat "$HOME/Projects/two/CLAUDE.md")" "shared rules"
	assert_line "$HOME/Projects/two/CLAUDE.md"
	assert_equal "$(cat "$HOME/Projects/two/.claude/skills/review/SKILL.md")" "review skill"
	# a second sync overwrites skills but keeps the (now existing) CLAUDE.md
	echo "changed" >"$HOME/Projects/two/CLAUDE.md"
	run cc-deploy skills local "~/Projects/two"
	assert_success
	assert_equal "$(cat "$HOME/Projects/two/CLAUDE.md")" "changed"
}

# ---- push / pull -----------------------------------------------------------

hostile_names=(
	"plain.txt"
	"with space.bin"
	"it's \"quoted\".txt"
	'semi;colon;rm -rf x'
	'$(touch pwned).txt'
	'`touch pwned2`'
	'-leading-dash'
	'ünïcødé ✓.md'
)

@test "push and pull round-trip byte-identical files with hostile names" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	cd "$BATS_TEST_TMPDIR/src"
	for n in "${hostile_names[@]}"; do
		head -c $((RANDOM * 7 + 1)) /dev/urandom >"./$n"
	done
	head -c 3000000 /dev/urandom >"./big file.bin"
	files=("${hostile_names[@]/#/./}")
	run cc-deploy push local "${files[@]}" "./big file.bin"
	assert_success
	pushed=("${lines[@]}")
	[ "${#pushed[@]}" -eq $(( ${#hostile_names[@]} + 1 )) ]
	i=0
	for n in "${hostile_names[@]}" "big file.bin"; do
		remote=${pushed[$i]}
		[[ "$remote" == "$BATS_TEST_TMPDIR/pool dir/"[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]_"$n" ]] ||
			fail "unexpected remote path: $remote"
		cmp "./$n" "$remote"
		run cc-deploy pull local "$remote"
		assert_success
		[ "$(dirname "$output")" = "$BATS_TEST_TMPDIR/down loads" ]
		cmp "./$n" "$output"
		i=$((i + 1))
	done
	[ ! -e pwned ] && [ ! -e pwned2 ] && [ ! -e "$HOME/pwned" ]
	# no temporary files in either directory
	run find "$BATS_TEST_TMPDIR/pool dir" "$BATS_TEST_TMPDIR/down loads" -mindepth 1 \
		\( -name '*.cc-tmp.*' -o -name '.*.part.*' \)
	assert_output ""
}

@test "pull --max-size refuses a larger file and leaves nothing under the final name" {
	head -c 5000 /dev/urandom >"$BATS_TEST_TMPDIR/five k"
	run cc-deploy pull --max-size 4999 local "$BATS_TEST_TMPDIR/five k"
	assert_one_line_error
	assert_output --partial "too large"
	[ ! -e "$BATS_TEST_TMPDIR/down loads/five k" ]
	run ls -A "$BATS_TEST_TMPDIR/down loads"
	assert_output ""
	run cc-deploy pull --max-size 5000 local "$BATS_TEST_TMPDIR/five k"
	assert_success
	cmp "$BATS_TEST_TMPDIR/five k" "$output"
	run cc-deploy pull local "$BATS_TEST_TMPDIR/no such file"
	assert_one_line_error
	[ ! -e "$BATS_TEST_TMPDIR/down loads/no such file" ]
}

# ---- prepare ---------------------------------------------------------------

@test "prepare: absolute and ~ as is, names under project_path, git URLs cloned once" {
	run cc-deploy prepare local "$BATS_TEST_TMPDIR/abs dir"
	assert_success
	assert_output "$BATS_TEST_TMPDIR/abs dir"
	[ -d "$BATS_TEST_TMPDIR/abs dir" ]
	run cc-deploy prepare local "~/x y"
	assert_success
	assert_output "$HOME/x y"
	[ -d "$HOME/x y" ]
	run cc-deploy prepare local 'app;$(touch pwned)'
	assert_success
	assert_output "$HOME/Projects/app;\$(touch pwned)"
	[ -d "$HOME/Projects/app;\$(touch pwned)" ]
	[ ! -e pwned ] && [ ! -e "$HOME/pwned" ]

	# a local git repository as the URL (a bare one ending in .git, and file://)
	git init -q -b main "$BATS_TEST_TMPDIR/src-repo"
	git -C "$BATS_TEST_TMPDIR/src-repo" -c user.name=t -c user.email=t@e commit -q --allow-empty -m first
	echo hi >"$BATS_TEST_TMPDIR/src-repo/README"
	git -C "$BATS_TEST_TMPDIR/src-repo" add README
	git -C "$BATS_TEST_TMPDIR/src-repo" -c user.name=t -c user.email=t@e commit -q -m readme
	git clone -q --bare "$BATS_TEST_TMPDIR/src-repo" "$BATS_TEST_TMPDIR/myrepo.git"
	run cc-deploy prepare local "$BATS_TEST_TMPDIR/myrepo.git"
	assert_success
	assert_output "$HOME/Projects/myrepo"
	assert_equal "$(cat "$HOME/Projects/myrepo/README")" hi
	# the second time it exists: no clone (a marker survives)
	touch "$HOME/Projects/myrepo/marker"
	run cc-deploy prepare local "$BATS_TEST_TMPDIR/myrepo.git"
	assert_success
	[ -e "$HOME/Projects/myrepo/marker" ]
	run cc-deploy prepare local "file://$BATS_TEST_TMPDIR/src-repo"
	assert_success
	assert_output "$HOME/Projects/src-repo"
	[ -f "$HOME/Projects/src-repo/README" ]
	# a URL that does not clone fails in one line
	run cc-deploy prepare local "file://$BATS_TEST_TMPDIR/nope.git"
	assert_one_line_error
	assert_output --partial "cc-deploy: local: clone:"
}

# ---- status across peers ----------------------------------------------------

@test "status: a down peer shows offline within 5 s while the others answer; jump-only peers are skipped" {
	# a TCP listener that accepts and never speaks: SSH hangs in the banner
	BH=$(free_port)
	python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); c=[]
while True: c.append(s.accept())' "$BH" &
	BLACKHOLE_PID=$!
	for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$BH) 2>/dev/null && break; sleep 0.1; done
	cat >>"$CFG" <<EOF
EOF
	python3 - "$CFG" "$BH" <<'EOF'
import sys
p, port = sys.argv[1], sys.argv[2]
s = open(p).read()
s = s.replace("peers:\n", "peers:\n"
  "  hang:\n    ssh_host: 127.0.0.1\n    ssh_port: %s\n    ssh_user: nobody\n    proxy_jump: null\n"
  "  refused:\n    ssh_host: 127.0.0.1\n    ssh_port: 1\n"
  "  jumpbox:\n    ssh_host: 127.0.0.1\n    ssh_port: 1\n"
  "  behind:\n    ssh_host: 127.0.0.1\n    ssh_port: 1\n    proxy_jump: jumpbox\n    default_paths: [\"/x\"]\n" % port, 1)
s = s.replace("    proxy_jump: null\n", "")
open(p, "w").write(s)
EOF
	run cc-deploy ensure local
	assert_success
	start=$(date +%s%N)
	run cc-deploy status
	end=$(date +%s%N)
	assert_success   # no names: informational
	[ $(( (end - start) / 1000000 )) -lt 6500 ] || fail "took $(( (end - start) / 1000000 )) ms"
	refute_output --partial '"peer":"jumpbox"'
	[ "$(jq -r 'select(.peer=="local").daemon' <<<"$output")" = running ]
	[ "$(jq -r 'select(.peer=="hang").status' <<<"$output")" = offline ]
	[ "$(jq -r 'select(.peer=="hang").daemon' <<<"$output")" = unknown ]
	[ "$(jq -r 'select(.peer=="refused").status' <<<"$output")" = offline ]
	[ "$(jq -r 'select(.peer=="behind").status' <<<"$output")" = offline ]
	# named: exit 1 because one is offline
	run cc-deploy status local hang
	assert_failure 1
	[ "${#lines[@]}" -eq 2 ]
	run cc-deploy status local
	assert_success
}

# ---- over SSH: a real sshd on loopback ------------------------------------

ssh_setup() {
	sshd_setup
	sshd_start a
	mkdir -p "$SSHD_REMOTE_HOME/.local/bin"
	ln -sf "$CODECAST_TOP/test/fakes/mock-claude" "$SSHD_REMOTE_HOME/.local/bin/claude"
	SBASE=$(free_port)
	python3 - "$CFG" "$SSHD_PORT_a" "$SSHD_CLIENT_KEY" "$SBASE" <<'PY'
import sys
p, port, key, base = sys.argv[1:]
s = open(p).read()
s = s.replace("peers:\n", "peers:\n  gpu:\n    transport: ssh\n    ssh_host: 127.0.0.1\n"
  "    ssh_port: %s\n    ssh_user: root\n    ssh_key: %s\n    daemon_port: %s\n"
  "    project_path: \"~/Projects\"\n    default_paths: [\"~/Projects\"]\n" % (port, key, base), 1)
open(p, "w").write(s)
PY
}

ssh_teardown() {
	local f
	cc-tunnel --close-all >/dev/null 2>&1 || true
	for f in "$HOME"/.codecast/tunnels/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	true
}

@test "ssh: ensure on a bare peer deploys and starts cc-daemon; session.send through cc-tunnel streams the mock reply; a second ensure uploads nothing" {
	ssh_setup
	[ ! -e "$SSHD_REMOTE_HOME/.codecast/daemon/cc-daemon" ]
	run cc-deploy -v ensure gpu
	assert_success
	assert_output --partial "cc-deploy: gpu: uploaded cc-daemon"
	assert_output --partial "cc-deploy: gpu: started the daemon"
	rport=${lines[-1]}
	[ "$rport" -ge "$SBASE" ] && [ "$rport" -le $((SBASE + 100)) ]
	cmp "$SSHD_REMOTE_HOME/.codecast/daemon/cc-daemon" "$(command -v cc-daemon-static || command -v cc-daemon)"
	[ "$(cat "$SSHD_REMOTE_HOME/.codecast/daemon.port")" = "$rport" ]
	pid=$(cc-rpc "$rport" health.check | jq -r .pid)
	[ "$(readlink /proc/$pid/exe)" = "$SSHD_REMOTE_HOME/.codecast/daemon/cc-daemon" ]
	# the SSH session is gone, the daemon stays (own session, no tty)
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]

	# the whole pipeline through the tunnel
	lport=$(cc-tunnel gpu)
	[ -n "$lport" ]
	sid=$(cc-rpc "$lport" session.create path="$SSHD_REMOTE_HOME" | jq -r .sessionId)
	[ -n "$sid" ] && [ "$sid" != null ]
	run cc-rpc "$lport" session.send sessionId="$sid" message='echo:over ssh'
	assert_success
	jq -r 'select(.type=="text").content' <<<"$output" | grep -qx 'over ssh'

	conns=$(sshd_connections a)
	ino=$(stat -c %i:%Y "$SSHD_REMOTE_HOME/.codecast/daemon/cc-daemon")
	run cc-deploy -v ensure gpu
	assert_success
	assert_equal "${lines[-1]}" "$rport"
	assert_output --partial "nothing to do"
	refute_output --partial uploaded
	[ "$(stat -c %i:%Y "$SSHD_REMOTE_HOME/.codecast/daemon/cc-daemon")" = "$ino" ]
	# over the holder's connection: no new SSH handshake
	[ "$(sshd_connections a)" = "$conns" ]
	ssh_teardown
}

@test "ssh: a holder that cc-deploy started still gets its daemon made sure of by cc-tunnel" {
	ssh_setup
	run cc-deploy prepare gpu app
	assert_success
	[ -d "$SSHD_REMOTE_HOME/Projects/app" ]
	# nothing runs on the peer yet; cc-tunnel deploys and starts it
	run cc-tunnel gpu
	assert_success
	port=$output
	run cc-rpc "$port" health.check
	assert_success
	[ -f "$HOME/.codecast/tunnels/gpu.ensured" ]
	# the daemon stopped behind the tunnel's back: --check starts it again
	run cc-deploy stop gpu
	assert_success
	run cc-rpc --timeout 3 "$port" health.check
	assert_failure
	run cc-tunnel --check gpu
	assert_success
	assert_output "$port"
	run cc-rpc "$port" health.check
	assert_success
}

@test "ssh: stop, start, status, skills, prepare with a local git repository" {
	ssh_setup
	run cc-deploy ensure gpu
	assert_success
	pid=$(cc-rpc "$output" health.check | jq -r .pid)
	run cc-deploy stop gpu
	assert_success
	! kill -0 "$pid" 2>/dev/null || false
	run cc-deploy status gpu
	assert_failure 1
	assert_equal "$(jq -r .status <<<"$output")" online
	assert_equal "$(jq -r .daemon <<<"$output")" stopped
	assert_equal "$(jq -r .host <<<"$output")" 127.0.0.1
	assert_equal "$(jq -r .user <<<"$output")" root
	run cc-deploy start gpu
	assert_success
	run cc-deploy status gpu local
	assert_failure 1    # local's daemon is not running
	assert_equal "$(jq -r 'select(.peer=="gpu").daemon' <<<"$output")" running
	assert_equal "$(jq -r 'select(.peer=="local").daemon' <<<"$output")" stopped

	S=$BATS_TEST_TMPDIR/shared
	mkdir -p "$S/.claude/skills/review"
	echo "shared rules" >"$S/CLAUDE.md"
	echo "review skill" >"$S/.claude/skills/review/SKILL.md"
	run cc-deploy skills gpu "~/Projects/it's here"
	assert_success
	assert_equal "$(cat "$SSHD_REMOTE_HOME/Projects/it's here/CLAUDE.md")" "shared rules"
	assert_equal "$(cat "$SSHD_REMOTE_HOME/Projects/it's here/.claude/skills/review/SKILL.md")" "review skill"
	[ ! -e "$SSHD_REMOTE_HOME/Projects/it's here/.claude/skills/skills" ]

	git init -q -b main "$BATS_TEST_TMPDIR/src-repo"
	echo hi >"$BATS_TEST_TMPDIR/src-repo/README"
	git -C "$BATS_TEST_TMPDIR/src-repo" add README
	git -C "$BATS_TEST_TMPDIR/src-repo" -c user.name=t -c user.email=t@e commit -q -m readme
	git clone -q --bare "$BATS_TEST_TMPDIR/src-repo" "$BATS_TEST_TMPDIR/tool.git"
	run cc-deploy prepare gpu "$BATS_TEST_TMPDIR/tool.git"
	assert_success
	assert_output "$SSHD_REMOTE_HOME/Projects/tool"
	assert_equal "$(cat "$SSHD_REMOTE_HOME/Projects/tool/README")" hi
	run cc-deploy prepare gpu "sub dir"
	assert_success
	assert_output "$SSHD_REMOTE_HOME/Projects/sub dir"
	[ -d "$SSHD_REMOTE_HOME/Projects/sub dir" ]
	ssh_teardown
}

@test "ssh: push and pull round-trip byte-identical files with hostile names" {
	ssh_setup
	mkdir -p "$BATS_TEST_TMPDIR/src"
	cd "$BATS_TEST_TMPDIR/src"
	for n in "${hostile_names[@]}"; do
		head -c $((RANDOM * 5 + 1)) /dev/urandom >"./$n"
	done
	head -c 3000000 /dev/urandom >"./big file.bin"
	files=("${hostile_names[@]/#/./}")
	run cc-deploy push gpu "${files[@]}" "./big file.bin"
	assert_success
	pushed=("${lines[@]}")
	[ "${#pushed[@]}" -eq $(( ${#hostile_names[@]} + 1 )) ]
	i=0
	for n in "${hostile_names[@]}" "big file.bin"; do
		remote=${pushed[$i]}
		[[ "$remote" == "$BATS_TEST_TMPDIR/pool dir/"[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]_"$n" ]] ||
			fail "unexpected remote path: $remote"
		cmp "./$n" "$remote"
		rm -f "$BATS_TEST_TMPDIR/down loads/$n"
		run cc-deploy pull gpu "$remote"
		assert_success
		cmp "./$n" "$output"
		i=$((i + 1))
	done
	[ ! -e pwned ] && [ ! -e pwned2 ] && [ ! -e "$SSHD_REMOTE_HOME/pwned" ]
	# no temporary file left on either side (ls would name the directories,
	# which hold "tmp", so find the files themselves)
	run find "$BATS_TEST_TMPDIR/pool dir" "$BATS_TEST_TMPDIR/down loads" -mindepth 1 \
		\( -name '*.cc-tmp.*' -o -name '.*.part.*' -o -name '*tmp*' \)
	assert_output ""
	# a pull that fails leaves nothing (the good pulls' files removed first)
	find "$BATS_TEST_TMPDIR/down loads" -mindepth 1 -delete
	run cc-deploy pull --max-size 10 gpu "${pushed[-1]}"
	assert_one_line_error
	run ls -A "$BATS_TEST_TMPDIR/down loads"
	assert_output ""
	ssh_teardown
}

@test "status of an http peer asks its address; a progress bar appears only on a terminal" {
	python3 - >"$BATS_TEST_TMPDIR/h.port" <<'EOF2' &
import http.server, json, sys, os
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        b = json.dumps({"result": {"ok": True, "version": "7.7.7", "pid": os.getpid()}}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF2
	DAEMON_PIDS+=($!)
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/h.port" ] && break; sleep 0.1; done
	hp=$(cat "$BATS_TEST_TMPDIR/h.port")
	sed -i "s|^peers:\$|peers:\n  web:\n    transport: http\n    address: \"http://127.0.0.1:$hp\"\n  webdown:\n    transport: http\n    address: \"127.0.0.1:1\"|" "$CFG"
	run cc-deploy status web webdown
	assert_failure 1
	assert_equal "$(jq -r 'select(.peer=="web").status' <<<"$output")" online
	assert_equal "$(jq -r 'select(.peer=="web").version' <<<"$output")" 7.7.7
	assert_equal "$(jq -r 'select(.peer=="webdown").status' <<<"$output")" offline
	run cc-deploy ensure web
	assert_equal "$status" 3
	assert_output --partial "no shell access"

	head -c 20000000 /dev/zero >"$BATS_TEST_TMPDIR/big"
	run cc-deploy push local "$BATS_TEST_TMPDIR/big"
	assert_success
	refute_output --partial '%'
	run script -qec "cc-deploy push local '$BATS_TEST_TMPDIR/big'" /dev/null
	assert_success
	assert_output --partial '100%'
	assert_output --partial 'cc-deploy: local: big'
}

@test "hardening #6: pull refuses a device or a FIFO before reading it (ssh and local)" {
	ssh_setup
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	for f in /dev/zero "$BATS_TEST_TMPDIR/fifo"; do
		run timeout 20 cc-deploy pull --max-size 1000000 gpu "$f"
		assert_one_line_error
		assert_output --partial "not a regular file"
		run timeout 20 cc-deploy pull --max-size 1000000 local "$f"
		assert_one_line_error
		assert_output --partial "not a regular file"
	done
	ssh_teardown
}

@test "hardening #6: a push whose client is killed mid-transfer leaves no truncated file behind" {
	ssh_setup
	truncate -s 2G "$BATS_TEST_TMPDIR/big.bin"
	cc-deploy push gpu "$BATS_TEST_TMPDIR/big.bin" >/dev/null 2>&1 &
	local pid=$! pool="$BATS_TEST_TMPDIR/pool dir"
	DAEMON_PIDS+=("$pid")
	# kill the client once the remote side has started writing
	wait_for '[ -n "$(find "$pool" -name "*big.bin.cc-tmp.*" -size +1M 2>/dev/null)" ]' 30
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	# the holder closes the channel; cat sees an early end and the size check refuses
	wait_for '[ -z "$(find "$pool" -name "*.cc-tmp.*" 2>/dev/null)" ]' 30
	run find "$pool" -name "*big.bin*"
	assert_output ""
	ssh_teardown
}

@test "hardening #6: a remote command ends when its client goes away (ssh and local): a clone that hangs" {
	ssh_setup
	# a git server that accepts and never answers: the clone waits forever
	/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
c = [s.accept() for _ in range(2)]; time.sleep(120)' "$BATS_TEST_TMPDIR/silent.port" &
	DAEMON_PIDS+=($!)
	wait_for '[ -s "$BATS_TEST_TMPDIR/silent.port" ]'
	local port p pid
	port=$(cat "$BATS_TEST_TMPDIR/silent.port")
	for p in gpu local; do
		cc-deploy prepare "$p" "git://127.0.0.1:$port/hang-$p.git" >/dev/null 2>&1 &
		pid=$!
		DAEMON_PIDS+=("$pid")
		wait_for "pgrep -f 'clone .*hang-$p.git' >/dev/null" 30
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null || true
		# the command's input ends with its client: the watcher ends the clone
		wait_for "! pgrep -f 'clone .*hang-$p.git' >/dev/null" 15 ||
			fail "$p: the clone outlived its client: $(pgrep -af "hang-$p.git")"
	done
	ssh_teardown
}

@test "hardening #7: the file pool is the user's own 0700 directory; a shared or foreign one is refused" {
	echo data >"$BATS_TEST_TMPDIR/f.txt"
	# the default: under the user's home, created 0700
	sed -i '/^file_pool:/,/remote_dir/d' "$CFG"
	run cc-deploy push local "$BATS_TEST_TMPDIR/f.txt"
	assert_success
	[[ "$output" == "$HOME/.codecast/files/"*_f.txt ]]
	[ "$(stat -c %a "$HOME/.codecast/files")" = 700 ]
	# a directory another user made first (the old /tmp/codecast/files)
	printf 'file_pool:\n  remote_dir: "%s/shared pool"\n' "$BATS_TEST_TMPDIR" >>"$CFG"
	mkdir -m 777 "$BATS_TEST_TMPDIR/shared pool"
	run cc-deploy push local "$BATS_TEST_TMPDIR/f.txt"
	assert_one_line_error
	assert_output --partial "$BATS_TEST_TMPDIR/shared pool: mode 777 lets other users in; refusing to use it (chmod 700 $BATS_TEST_TMPDIR/shared pool)"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/shared pool")" ]
	[ "$(id -u)" = 0 ] || skip "needs root to make another user's directory"
	chmod 700 "$BATS_TEST_TMPDIR/shared pool"
	chown nobody "$BATS_TEST_TMPDIR/shared pool"
	run cc-deploy push local "$BATS_TEST_TMPDIR/f.txt"
	assert_one_line_error
	assert_output --partial "shared pool: owned by uid $(id -u nobody), not you; refusing to use it"
}
