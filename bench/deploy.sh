#!/usr/bin/env bash
# bench/deploy.sh — `cc-deploy push` of one 200 MB file to a peer behind a
# real sshd on loopback, against OpenSSH `scp` of the same file to the same
# sshd in the same run.  Target: cc-deploy >= 80% of scp's rate.
#
#   bash bench/deploy.sh            (after `make`; uses bin/ unless CC_BIN)
#   SIZE_MB=200 RUNS=3 bash bench/deploy.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${CC_BIN:-$top/bin}
export PATH="$bin:$top/test/fakes:$PATH"
size_mb=${SIZE_MB:-200}
runs=${RUNS:-5}

work=$(mktemp -d "${TMPDIR:-/tmp}/cc-bench-deploy.XXXXXX")
sshd_pid=
cleanup() {
	cc-tunnel --close-all >/dev/null 2>&1 || true
	for f in "$work"/home/.codecast/tunnels/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
	done
	# a daemon started on the "peer" by anything in this run, by its pid
	if [ -f "$work/remote/.codecast/daemon.port" ]; then
		dpid=$(cc-rpc --timeout 2 "$(cat "$work/remote/.codecast/daemon.port")" health.check 2>/dev/null | jq -r .pid) || true
		[ -n "${dpid:-}" ] && [ "$dpid" != null ] && kill "$dpid" 2>/dev/null || true
	fi
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

export HOME=$work/home
mkdir -p "$HOME/.ssh" "$work/remote" "$work/pool"
chmod 700 "$HOME/.ssh"
ssh-keygen -q -t ed25519 -N '' -f "$work/client" -C bench
ssh-keygen -q -t ed25519 -N '' -f "$work/host" -C bench-host
cp "$work/client.pub" "$work/authorized_keys"
port=$(python3 -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat >"$work/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $work/host
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
UsePAM no
SetEnv HOME=$work/remote
Subsystem sftp internal-sftp
CONF
[ -d /run/sshd ] || mkdir -p -m 0755 /run/sshd
/usr/sbin/sshd -D -f "$work/sshd_config" -E "$work/sshd.log" &
sshd_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

user=$(id -un)
cat >"$work/config.yaml" <<CONF
peers:
  bench:
    transport: ssh
    ssh_host: 127.0.0.1
    ssh_port: $port
    ssh_user: $user
    ssh_key: $work/client
    host_key_check: "off"
file_pool:
  remote_dir: $work/pool
CONF
export CODECAST_CONFIG=$work/config.yaml

head -c $((size_mb * 1024 * 1024)) /dev/urandom >"$work/blob"
bytes=$((size_mb * 1024 * 1024))
cat "$work/blob" >/dev/null   # both read it from the page cache
# the holder's connection first (cc-deploy reuses it, as in real use)
cc-deploy push bench "$work/client.pub" >/dev/null

ssh_opts=(-i "$work/client" -P "$port" -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes)

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cc_times=() scp_times=()
# alternate the two, so both see the same machine load
for i in $(seq "$runs"); do
	rm -f "$work/pool"/*
	t0=$(now)
	out=$(cc-deploy push bench "$work/blob")
	t1=$(now)
	cmp "$work/blob" "$out"
	cc=$(secs "$t0" "$t1")
	rm -f "$work/remote/blob.scp"
	t0=$(now)
	scp -q "${ssh_opts[@]}" "$work/blob" "$user@127.0.0.1:$work/remote/blob.scp"
	t1=$(now)
	cmp "$work/blob" "$work/remote/blob.scp"
	sc=$(secs "$t0" "$t1")
	printf 'run %d: cc-deploy push %s s, scp %s s\n' "$i" "$cc" "$sc"
	cc_times+=("$cc") scp_times+=("$sc")
done
med_cc=$(median "${cc_times[@]}")
med_scp=$(median "${scp_times[@]}")
awk -v b="$bytes" -v c="$med_cc" -v s="$med_scp" -v mb="$size_mb" 'BEGIN {
	rc = b / c / 1048576; rs = b / s / 1048576
	printf "\n%-28s %12s %14s\n", "", "median (s)", "rate (MiB/s)"
	printf "%-28s %12.2f %14.1f\n", "cc-deploy push (" mb " MiB)", c, rc
	printf "%-28s %12.2f %14.1f\n", "OpenSSH scp (" mb " MiB)", s, rs
	printf "cc-deploy / scp: %.0f%% (target >= 80%%)\n", 100 * rc / rs
}'
printf 'reproduce: make && CC_BIN=%s SIZE_MB=%s RUNS=%s bash bench/deploy.sh\n' "$bin" "$size_mb" "$runs"
awk -v c="$med_cc" -v s="$med_scp" 'BEGIN { exit !(s / c >= 0.8) }'
