# sshd.bash — real OpenSSH sshd processes on 127.0.0.1 for bats suites.
#
#   load lib/sshd
#   sshd_setup                 # once per test: $SSHD_DIR, client key, HOME/.ssh
#   sshd_start NAME [opt...]   # an sshd; sets SSHD_PORT_<NAME>, SSHD_PID_<NAME>
#                              # extra sshd_config lines as "Key value" words
#                              # (they win over the defaults below)
#   sshd_stop_all              # in teardown: stops every sshd started here
#   sshd_log NAME              # path of its log (LogLevel VERBOSE)
#   sshd_connections NAME      # number of authenticated connections so far
#   sshd_children NAME         # pids of the per-connection sshd processes
#   SSHD_ADDR=A SSHD_NETNS=N sshd_start ...
#                              # listen on A inside network namespace N (one
#                              # the test created) instead of 127.0.0.1
#   sshd_password_user         # as root: create user cctest (once); sets
#                              # SSHD_PW_USER, SSHD_PW_PASS; returns 1 if not root
#
# Each sshd gets generated ed25519 host keys, its own config with
# AuthorizedKeysFile pointing at $SSHD_DIR/authorized_keys (the client key
# $SSHD_CLIENT_KEY is in it), PidFile, UsePAM no (unless overridden),
# StrictModes no, and SetEnv HOME=$SSHD_REMOTE_HOME so a session's ~ is the
# test's directory, never the real home.  Ports are picked free.

SSHD_PW_USER=cctest
SSHD_PW_PASS='cc-test-pw-7781'

sshd_free_port() {
	python3 -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

sshd_setup() {
	SSHD_DIR=${SSHD_DIR:-$BATS_TEST_TMPDIR/sshd}
	mkdir -p "$SSHD_DIR" "$HOME/.ssh"
	chmod 700 "$HOME/.ssh"
	[ -d /run/sshd ] || mkdir -p -m 0755 /run/sshd
	SSHD_CLIENT_KEY=$SSHD_DIR/client_ed25519
	[ -f "$SSHD_CLIENT_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C cctest-client -f "$SSHD_CLIENT_KEY"
	cat "$SSHD_CLIENT_KEY.pub" >"$SSHD_DIR/authorized_keys"
	chmod 600 "$SSHD_DIR/authorized_keys"
	SSHD_REMOTE_HOME=${SSHD_REMOTE_HOME:-$SSHD_DIR/remote-home}
	mkdir -p "$SSHD_REMOTE_HOME"
	SSHD_NAMES=()
	export SSHD_DIR SSHD_CLIENT_KEY SSHD_REMOTE_HOME
}

sshd_start() {
	local name=$1; shift
	local d=$SSHD_DIR/$name port i
	mkdir -p "$d"
	[ -f "$d/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "host-$name" -f "$d/host_ed25519"
	for i in 1 2 3 4 5; do
		port=$(sshd_free_port)
		{
			# sshd keeps the first value of a keyword: extras go first
			local o has_pam=0
			for o in "$@"; do
				case "$o" in UsePAM*) has_pam=1 ;; esac
				echo "$o"
			done
			[ $has_pam = 1 ] || echo "UsePAM no"
			echo "ListenAddress ${SSHD_ADDR:-127.0.0.1}"
			echo "Port $port"
			echo "HostKey $d/host_ed25519"
			echo "PidFile $d/sshd.pid"
			echo "AuthorizedKeysFile $SSHD_DIR/authorized_keys"
			echo "StrictModes no"
			echo "PermitRootLogin prohibit-password"
			echo "LogLevel VERBOSE"
			echo "AllowTcpForwarding yes"
			echo "MaxStartups 200"
			echo "MaxSessions 200"
			echo "SetEnv HOME=$SSHD_REMOTE_HOME"
			echo "Subsystem sftp internal-sftp"
		} >"$d/sshd_config"
		: >"$d/sshd.log"
		# SSHD_NETNS: inside a network namespace of the test's own
		# (ip netns exec execs sshd: $! is sshd's pid)
		${SSHD_NETNS:+ip netns exec "$SSHD_NETNS"} /usr/sbin/sshd -D -f "$d/sshd_config" -E "$d/sshd.log" &
		local pid=$!
		# ready when the port accepts
		local t
		for t in $(seq 1 100); do
			if ! kill -0 "$pid" 2>/dev/null; then break; fi
			if (exec 3<>"/dev/tcp/${SSHD_ADDR:-127.0.0.1}/$port") 2>/dev/null; then
				printf -v "SSHD_PORT_$name" %s "$port"
				printf -v "SSHD_PID_$name" %s "$pid"
				SSHD_NAMES+=("$name")
				echo "$pid" >"$d/pid"
				echo "$port" >"$d/port"
				return 0
			fi
			sleep 0.05
		done
		kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	done
	echo "sshd_start $name: sshd did not come up" >&2
	cat "$d/sshd.log" >&2
	return 1
}

sshd_log() { echo "$SSHD_DIR/$1/sshd.log"; }

sshd_connections() {
	# authenticated connections (the readiness probe never gets that far)
	grep -cE 'Accepted [a-z/-]+ for ' "$SSHD_DIR/$1/sshd.log" || true
}

sshd_children() {
	local pid
	pid=$(cat "$SSHD_DIR/$1/pid")
	pgrep -P "$pid" || true
}

sshd_stop() {
	local name=$1 pid c
	pid=$(cat "$SSHD_DIR/$name/pid" 2>/dev/null) || return 0
	# the children as they are now; then the listener first, so that no
	# connection accepted meanwhile (a holder reconnecting) survives it
	# (any of them may have ended meanwhile: a failed kill is no error)
	c=$(pgrep -P "$pid" || true)
	kill -STOP "$pid" 2>/dev/null || true
	c="$c $(pgrep -P "$pid" || true)"
	kill "$pid" 2>/dev/null || true
	kill -CONT "$pid" 2>/dev/null || true
	for c in $c; do kill "$c" 2>/dev/null || true; done
	wait "$pid" 2>/dev/null || true
}

sshd_stop_all() {
	local n
	for n in "${SSHD_NAMES[@]}"; do sshd_stop "$n"; done
	SSHD_NAMES=()
}

sshd_password_user() {
	[ "$(id -u)" = 0 ] || return 1
	if ! id "$SSHD_PW_USER" >/dev/null 2>&1; then
		useradd -M -d /nonexistent -s /bin/sh "$SSHD_PW_USER" 2>/dev/null ||
			id "$SSHD_PW_USER" >/dev/null 2>&1 || return 1
	fi
	# idempotent: set the known password every time (cheap, and heals a
	# user created by an earlier run with another password)
	echo "$SSHD_PW_USER:$SSHD_PW_PASS" | chpasswd 2>/dev/null || true
	return 0
}
