#!/usr/bin/env bash
# bench/tunnel.sh — cc-tunnel side by side with OpenSSH, same machine, same
# sshd, same run:
#   1. 200 MB through the tunnel vs `ssh -N -L`           (target >= 80%)
#   2. 100 concurrent short HTTP requests through each
#   3. cold `cc-tunnel PEER` to a printed port vs `ssh -f -N -L` with
#      ExitOnForwardFailure
#   4. warm `cc-tunnel PEER` (a holder is up)             (target < 5 ms)
#
# Reproduce: make && PATH=$PWD/bin:$PATH bash bench/tunnel.sh
# (BIN=dir to use binaries built elsewhere; MB=200 RUNS=10 to change sizes.)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$top/bin}
export PATH="$BIN:$PATH"
MB=${MB:-200}
RUNS=${RUNS:-10}
command -v hyperfine >/dev/null || { echo "needs hyperfine" >&2; exit 1; }

work=$(mktemp -d /tmp/cc-bench-tunnel.XXXXXX)
export HOME=$work/home BATS_TEST_TMPDIR=$work
mkdir -p "$HOME"
unset SSH_AUTH_SOCK
# shellcheck source=../test/lib/sshd.bash
. "$top/test/lib/sshd.bash"
sshd_setup
srv_pid= ssh_pid=
cleanup() {
	cc-tunnel --close-all >/dev/null 2>&1 || true
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	[ -n "$ssh_pid" ] && kill "$ssh_pid" 2>/dev/null
	sshd_stop_all
	rm -rf "$work"
}
trap cleanup EXIT
sshd_start a >/dev/null

# The "daemon": GET /N answers N bytes; POST answers a small JSON body.
cat >"$work/srv.py" <<'EOF'
import socket, sys, threading
buf = b"x" * (1 << 20)
def handle(c):
    try:
        f = c.makefile("rb")
        line = f.readline().decode()
        if not line.strip():
            return
        clen = 0
        while True:
            h = f.readline()
            if h in (b"\r\n", b"\n", b""): break
            if h.lower().startswith(b"content-length:"): clen = int(h.split(b":")[1])
        if clen: f.read(clen)
        meth, path = line.split()[:2]
        if meth == "GET":
            n = int(path.rsplit("/", 1)[-1])
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % n)
            while n > 0:
                k = min(n, len(buf)); c.sendall(buf[:k]); n -= k
        else:
            body = b'{"result":{"ok":true}}'
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    finally:
        c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(1024)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
EOF
python3 "$work/srv.py" "$work/srv.port" &
srv_pid=$!
for _ in $(seq 100); do [ -s "$work/srv.port" ] && break; sleep 0.05; done
SRV=$(cat "$work/srv.port")
mkdir -p "$SSHD_REMOTE_HOME/.codecast"
echo "$SRV" >"$SSHD_REMOTE_HOME/.codecast/daemon.port"

cat >"$HOME/config.yaml" <<EOF
peers:
  a:
    transport: ssh
    ssh_host: 127.0.0.1
    ssh_port: $SSHD_PORT_a
    ssh_user: root
    ssh_key: $SSHD_CLIENT_KEY
EOF
export CODECAST_CONFIG=$HOME/config.yaml
SSH=(ssh -q -i "$SSHD_CLIENT_KEY" -p "$SSHD_PORT_a" -o BatchMode=yes
	-o IdentitiesOnly=yes -o UserKnownHostsFile="$HOME/.ssh/known_hosts"
	-o StrictHostKeyChecking=accept-new -o ExitOnForwardFailure=yes)

TPORT=$(cc-tunnel --no-ensure a)
OPORT=$(sshd_free_port)
"${SSH[@]}" -N -L "127.0.0.1:$OPORT:127.0.0.1:$SRV" root@127.0.0.1 &
ssh_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$OPORT") 2>/dev/null && break; sleep 0.05; done

bytes=$((MB * 1000 * 1000))
rate() {	# port -> bytes/s (best of 3)
	local best=0 r i
	for i in 1 2 3; do
		r=$(curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$1/$bytes")
		r=${r%.*}
		[ "$r" -gt "$best" ] && best=$r
	done
	echo "$best"
}
echo "== 1. $MB MB through the tunnel (best of 3)"
t_rate=$(rate "$TPORT")
o_rate=$(rate "$OPORT")
awk -v t="$t_rate" -v o="$o_rate" 'BEGIN {
	printf "%-22s %10.1f MB/s\n", "cc-tunnel", t / 1e6
	printf "%-22s %10.1f MB/s\n", "ssh -N -L", o / 1e6
	printf "%-22s %10.0f %%   (target >= 80 %%)\n", "ratio", 100 * t / o }'

echo "== 2. 100 concurrent short requests (wall time, best of 3)"
cat >"$work/conc.py" <<'EOF'
import socket, sys, threading, time
port = int(sys.argv[1]); n = 100
req = b'POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{"method":"health.check"}\r\n'
def one(ok):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(req)
    d = b""
    while True:
        k = s.recv(65536)
        if not k: break
        d += k
    s.close()
    if b'"ok":true' in d: ok.append(1)
best = None
for _ in range(3):
    ok = []
    ts = [threading.Thread(target=one, args=(ok,)) for _ in range(n)]
    t0 = time.perf_counter()
    for t in ts: t.start()
    for t in ts: t.join()
    dt = time.perf_counter() - t0
    if len(ok) != n: print("only %d of %d answered" % (len(ok), n)); sys.exit(1)
    best = dt if best is None else min(best, dt)
print("%.1f" % (best * 1000))
EOF
printf '%-22s %10s ms\n' "cc-tunnel" "$(python3 "$work/conc.py" "$TPORT")"
printf '%-22s %10s ms\n' "ssh -N -L" "$(python3 "$work/conc.py" "$OPORT")"
kill "$ssh_pid"; wait "$ssh_pid" 2>/dev/null || true; ssh_pid=

echo "== 3. cold start to a printed port (hyperfine, $RUNS runs)"
CPORT=$(sshd_free_port)
cat >"$work/ssh-cold.sh" <<EOF
#!/bin/sh
exec ${SSH[*]} -f -N -L 127.0.0.1:$CPORT:127.0.0.1:$SRV root@127.0.0.1
EOF
cat >"$work/ssh-stop.sh" <<EOF
#!/bin/sh
p=\$(ss -Hltnp "sport = :$CPORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
[ -n "\$p" ] && kill "\$p"
for i in 1 2 3 4 5 6 7 8 9 10; do ss -Hltn "sport = :$CPORT" | grep -q . || exit 0; sleep 0.05; done
EOF
chmod +x "$work/ssh-cold.sh" "$work/ssh-stop.sh"
hyperfine -N -w 1 -r "$RUNS" --export-json "$work/cold.json" \
	--prepare 'cc-tunnel --close-all' -n 'cc-tunnel PEER (cold)' 'cc-tunnel --no-ensure a' \
	--prepare "$work/ssh-stop.sh" -n 'ssh -f -N -L (cold)' "$work/ssh-cold.sh" 2>&1 |
	grep -E '^Benchmark|Time \(mean' || true
"$work/ssh-stop.sh" || true

echo "== 4. warm cc-tunnel PEER (hyperfine)"
cc-tunnel --no-ensure a >/dev/null
hyperfine -N -w 5 -r 200 -n 'cc-tunnel PEER (warm)' 'cc-tunnel a' 2>&1 |
	grep -E '^Benchmark|Time \(mean|Range' || true
echo "(target: warm < 5 ms per process)"
