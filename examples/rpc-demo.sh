#!/usr/bin/env bash
# examples/rpc-demo.sh — the main job end to end on this machine: a `local` peer,
# cc-daemon started (and deployed) by cc-tunnel, the mock coding CLI standing
# in for `claude`, and one message streamed back as NDJSON:
#
#     cc-rpc $(cc-tunnel local) session.send sessionId=$SID message=@-
#
# Everything happens under a temporary HOME; the daemon is stopped at the end.
# Run it with `bash examples/rpc-demo.sh` after `make` (`make demo` opens
# the same in a chat: examples/demo.sh).
set -eu -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${CC_BIN:-$top/bin}
export PATH="$bin:$PATH"

home=$(mktemp -d "${TMPDIR:-/tmp}/codecast-demo.XXXXXX")
port=
cleanup() {
	if [ -n "$port" ]; then
		pid=$(cc-rpc --timeout 2 "$port" health.check 2>/dev/null | jq -r .pid) || pid=
		if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		fi
	fi
	rm -rf "$home"
}
trap cleanup EXIT
export HOME=$home
# The coding CLI the daemon runs: the mock, found in ~/.local/bin like claude.
mkdir -p "$HOME/.local/bin" "$HOME/Projects/app"
ln -s "$top/test/fakes/mock-claude" "$HOME/.local/bin/claude"
printf 'int main(void) { return 0; }\n' > "$HOME/Projects/app/main.c"
daemon_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$HOME/config.yaml" <<YAML
peers:
  local:
    transport: local
    daemon_port: $daemon_port
YAML
export CODECAST_CONFIG=$HOME/config.yaml

echo "\$ cc-tunnel local" >&2
port=$(cc-tunnel local)
echo "$port" >&2
echo "\$ cc-rpc $port health.check | jq -c '{ok,version,sessions}'" >&2
cc-rpc "$port" health.check | jq -c '{ok, version, sessions}'
echo "\$ cc-rpc $port session.create path=app   # a bare name is ~/Projects/NAME" >&2
sid=$(cc-rpc "$port" session.create path=app | jq -r .sessionId)
echo "$sid" >&2
echo "\$ printf 'echo:main.c returns 0' | cc-rpc $port session.send sessionId=$sid message=@-" >&2
printf 'echo:main.c returns 0' | cc-rpc "$port" session.send sessionId="$sid" message=@-
