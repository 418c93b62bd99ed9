#!/usr/bin/env bash
# examples/demo.sh — `make demo`: chat with a coding session in this
# terminal, nothing to set up.  Under a temporary HOME: a `local` peer whose
# cc-daemon runs the mock coding CLI (test/fakes/mock-claude; the real
# `claude` when it is on PATH and DEMO_REAL=1), the daemon started, then
# cc-tty with a session already started (/start local app), so you type a
# question and watch the answer stream.  Ctrl-D leaves; the daemon is
# stopped and the temporary HOME removed.
#
# The mock answers by the message: `echo:TEXT`, `stream:N:T` (N words after
# T tool calls), `ask` (a question), `tools`, `hang` (Ctrl-C stops it);
# anything else is echoed back.
set -eu -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${CC_BIN:-$top/bin}
export PATH="$bin:$PATH"
real_home=$HOME

home=$(mktemp -d "${TMPDIR:-/tmp}/codecast-demo.XXXXXX")
port=
cleanup() {
	if [ -n "$port" ]; then
		pid=$(cc-rpc --timeout 2 "$port" health.check 2>/dev/null | jq -r .pid) || pid=
		if [ -n "$pid" ] && [ "$pid" != null ] && kill "$pid" 2>/dev/null; then
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		fi
	fi
	cc-tunnel --close-all >/dev/null 2>&1 || true
	rm -rf "$home"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
export HOME=$home
mkdir -p "$HOME/.local/bin" "$HOME/Projects/app"
if [ "${DEMO_REAL:-}" = 1 ] && command -v claude >/dev/null; then
	# the real CLI, logged in as you: its settings are linked in
	ln -s "$(command -v claude)" "$HOME/.local/bin/claude"
	for f in .claude .claude.json; do
		[ -e "$real_home/$f" ] && ln -s "$real_home/$f" "$HOME/$f"
	done
	cli="claude ($(command -v claude))"
else
	ln -s "$top/test/fakes/mock-claude" "$HOME/.local/bin/claude"
	cli="the mock CLI (DEMO_REAL=1 uses claude)"
fi
printf 'int main(void) { return 0; }\n' > "$HOME/Projects/app/main.c"
daemon_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -m 700 "$HOME/.codecast"
cat > "$HOME/.codecast/config.yaml" <<YAML
peers:
  local:
    transport: local
    daemon_port: $daemon_port
YAML
export CODECAST_CONFIG=$HOME/.codecast/config.yaml

echo "codecast demo: a local peer running $cli, HOME=$HOME" >&2
port=$(cc-tunnel local)
echo "cc-daemon answers on port $port; try: echo:**hi**, stream:200:2, ask, hang (then Ctrl-C)" >&2
cc-tty --send '/start local app' "$@"
