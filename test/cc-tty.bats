#!/usr/bin/env bats
# cc-tty (and make demo) driven in tmux as a person would: keys sent with
# send-keys, the screen read with capture-pane; and through a pipe.  The
# engine behind it is the real cc-engine, a local peer's cc-daemon running
# the mock CLI.

load lib/common.bash
load lib/engine.bash

setup() {
	engine_setup </dev/null
	SOCK=cctty-$$-$BATS_TEST_NUMBER
}

teardown() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	engine_teardown
}

# open CMD...: a 100x30 terminal running CMD with this test's environment
open_tty() {
	tmux -L "$SOCK" new-session -d -x 100 -y 30 -s t \
	    env HOME="$HOME" PATH="$PATH" CODECAST_CONFIG="$CODECAST_CONFIG" \
	    CODECAST_DB="$CODECAST_DB" LC_ALL=C.UTF-8 TERM=xterm-256color \
	    MOCK_CLAUDE_DELAY="${MOCK_CLAUDE_DELAY:-}" NO_COLOR="${NO_COLOR:-}" \
	    TMPDIR="$BATS_TEST_TMPDIR" \
	    bash -c "$* ; echo EXITED \$?; sleep 60"
}
screen() { tmux -L "$SOCK" capture-pane -p -t t -S -200; }
keys() { tmux -L "$SOCK" send-keys -t t "$@"; }
type_line() { tmux -L "$SOCK" send-keys -t t -l "$1"; tmux -L "$SOCK" send-keys -t t Enter; }
wait_screen() {	# REGEX [seconds]
	local n=$(( ${2:-15} * 10 ))
	for _ in $(seq "$n"); do screen | grep -qE -- "$1" && return 0; sleep 0.1; done
	echo "timed out waiting for /$1/ on the screen:" >&2
	screen >&2
	return 1
}

@test "a question typed, the answer streamed in place; Markdown bold on a terminal; history kept 0600" {
	export MOCK_CLAUDE_DELAY=0.05
	open_tty cc-tty --send "'/start local app'"
	wait_screen 'Session ready' 30
	type_line 'stream:40:0'
	# while it streams: the cursor mark, one message growing
	wait_screen 'w1 w2 w3'
	wait_screen 'w38 w39 w40$' 20
	sleep 0.5
	run screen
	# redrawn in place: the stream's text is on the screen once
	[ "$(grep -c 'w1 w2 w3' <<<"$output")" -eq 1 ] || fail "drawn more than once: $output"
	refute_output --partial '▌'
	type_line 'echo:plain and **strong**'
	wait_screen 'plain and strong'
	run tmux -L "$SOCK" capture-pane -p -e -t t
	assert_output --regexp $'plain and \e\\[1mstrong'
	# cc-tty's engine: the child of cc-tty, the child of the pane's shell
	pane=$(tmux -L "$SOCK" list-panes -t t -F '#{pane_pid}')
	tty_pid=$(pgrep -P "$pane" -x cc-tty)
	engine=$(pgrep -P "$tty_pid" -x cc-engine)
	[ -n "$engine" ]
	keys C-d
	wait_screen 'EXITED 0'
	[ "$(stat -c %a "$HOME/.codecast/tty_history")" = 600 ]
	grep -q 'stream:40:0' "$HOME/.codecast/tty_history"
	# the engine went with it
	! kill -0 "$engine" 2>/dev/null
}

@test "Ctrl-C interrupts a long reply (/stop); a second Ctrl-C leaves" {
	open_tty cc-tty --send "'/start local app'"
	wait_screen 'Session ready' 30
	type_line 'hang'
	wait_screen 'working'
	sleep 1
	keys C-c
	wait_screen 'interrupting the reply'
	wait_screen 'Interrupted'
	run screen
	refute_output --partial 'EXITED'
	keys C-c
	wait_screen 'EXITED 0'
}

@test "a question as numbered choices: a typed number answers it (a button event)" {
	open_tty cc-tty --send "'/start local app'"
	wait_screen 'Session ready' 30
	type_line 'ask'
	wait_screen '  3\. A bit of both'
	wait_screen 'type a number'
	type_line '2'
	wait_screen 'Mock response: Safe and slow'
}

@test "NO_COLOR: no escape sequences even on a terminal" {
	export NO_COLOR=1
	open_tty cc-tty
	sleep 1
	type_line 'echo:**x** `y`'
	wait_screen 'No active session'
	type_line '/help'
	wait_screen 'Commands'
	run tmux -L "$SOCK" capture-pane -p -e -t t
	refute_output --regexp $'\e\\[(1|3|36)m'
}

@test "through a pipe: plain text, each line after the last is done, exit 0" {
	run bash -c "printf '/start local app\necho:hi **there**\n/status\n' | cc-tty --idle 1"
	assert_success
	assert_line --partial 'Session ready'
	assert_line 'hi there'
	assert_line --regexp '^Mode: bypass'
	refute_output --regexp $'\e'
	# the order of the input is kept
	run bash -c "printf '%s\n' \"\$1\" | grep -n -e 'Session ready' -e 'hi there' -e 'Session Status' | cut -d: -f1 | tr '\n' ' '" _ "$output"
	read -r a b c <<<"$output"
	[ "$a" -lt "$b" ] && [ "$b" -lt "$c" ]
	run bash -c 'echo /status | cc-tty'
	assert_success
	assert_output --partial 'Session Status'
	run cc-tty --idle 0 </dev/null
	assert_failure 2
}

@test "make demo: a session already started; a question typed is answered; the daemon is gone after" {
	open_tty bash "$CODECAST_TOP/examples/demo.sh"
	wait_screen 'Session ready' 40
	type_line 'stream:20:1'
	wait_screen 'w18 w19 w20$' 20
	keys C-d
	wait_screen 'EXITED 0'
	run pgrep -f "$BATS_TEST_TMPDIR/codecast-demo"
	assert_failure
	run ls "$BATS_TEST_TMPDIR"
	refute_output --partial codecast-demo
}
