#!/usr/bin/env bats
# cc-head: the Telegram bridge against test/fakes/fake-telegram wired to
# cc-engine, cc-daemon and the mock CLI on a local peer, supervised by
# `cc-head run`; start/status/stop; check.

load lib/common.bash
load lib/engine.bash

setup() {
	FAKE_PID= HEAD_PID=
	cd "$BATS_TEST_TMPDIR"
	fake-telegram --port-file port >/dev/null 2>fake.err &
	FAKE_PID=$!
	for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
	API=http://127.0.0.1:$(cat port)
	engine_setup < <(printf 'bot:\n  telegram:\n    token: "123:TEST"\n    api_url: %s\n' "$API")
	unset XDG_RUNTIME_DIR
	RUNBASE=$HOME/.codecast/run
}

teardown() {
	local g
	if [ -n "$HEAD_PID" ]; then
		kill -TERM "$HEAD_PID" 2>/dev/null || true
		wait "$HEAD_PID" 2>/dev/null || true
	fi
	cc-head stop >/dev/null 2>&1 || true
	for g in $(cat "$BATS_TEST_TMPDIR"/pgids 2>/dev/null); do
		kill -KILL "-$g" 2>/dev/null || true
	done
	kill "$FAKE_PID" ${DFAKE:-} 2>/dev/null || true
	wait "$FAKE_PID" ${DFAKE:-} 2>/dev/null || true
	engine_teardown
}

WAIT_SECS=15
wait_for_diag() { echo "--- head.log"; cat head.log 2>/dev/null; }

ctl() { curl -sf -X POST "$API/control/$1" -d "$2" >/dev/null; }
messages() { curl -sf "$API/control/messages"; }
# the texts of chat 7, one JSON string a line
texts() { messages | jq -c '.["7"] // [] | .[] | select(.deleted | not) | .text'; }
msg() {	# TEXT: a message from user 7 in chat 7
	ctl update "$(jq -nc --arg text "$1" '{message: {message_id: 1, date: 1,
	    chat: {id: 7, type: "private"}, from: {id: 7, is_bot: false, username: "ann"},
	    text: $text}}')"
}
rundir() { ls -d "$RUNBASE"/codecast-head.* 2>/dev/null | head -1; }
state() {	# PLATFORM KEY
	sed -n "s/^$2=//p" "$(rundir)/$1.state" 2>/dev/null
}
start_head() {	# [run options]
	cc-head run --log head.log "$@" &
	HEAD_PID=$!
	wait_for '[ "$(state telegram state)" = running ]'
	state telegram pgid >>pgids
}
session_started() {
	msg "/start local app"
	wait_for 'texts | grep -q "Session ready"' 30
}

@test "cc-head is POSIX sh: dash -n and shellcheck are clean; --help, usage errors" {
	dash -n "$CODECAST_TOP/cmd/cc-head/cc-head"
	shellcheck -s sh "$CODECAST_TOP/cmd/cc-head/cc-head"
	run cc-head --help
	assert_success
	assert_output --partial 'usage: cc-head'
	run cc-head frobnicate
	assert_equal "$status" 2
	run cc-head
	assert_equal "$status" 2
	run cc-head -V
	assert_output --regexp '^cc-head [0-9]+\.[0-9]+'
}

@test "run: a Telegram message is answered end to end; SIGTERM stops everything, exit 0 within 10 s" {
	start_head
	# the runtime dir is private and holds the pair's FIFOs
	run stat -c %a "$(rundir)"
	assert_output 700
	[ -p "$(rundir)/telegram.events" ]
	[ -p "$(rundir)/telegram.actions" ]
	session_started
	msg 'echo:hello **world**'
	wait_for 'messages | jq -e ".\"7\" | any(.html == \"hello <b>world</b>\")" >/dev/null' 20
	run bash -c "curl -sf $API/control/calls | jq -r '.[].method' | sort -u"
	assert_line sendMessage
	assert_line sendChatAction
	epid=$(state telegram engine_pid) bpid=$(state telegram bridge_pid)
	pg=$(state telegram pgid)
	# the pair skips GnuTLS's load-time initialisation (cc-head(1))
	tr '\0' '\n' <"/proc/$bpid/environ" | grep -qx GNUTLS_NO_IMPLICIT_INIT=1
	tr '\0' '\n' <"/proc/$epid/environ" | grep -qx GNUTLS_NO_IMPLICIT_INIT=1
	t0=$(date +%s%N)
	kill -TERM "$HEAD_PID"
	wait "$HEAD_PID"
	rc=$?
	HEAD_PID=
	[ "$rc" -eq 0 ] || fail "exit status $rc"
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 10000 ]
	! kill -0 "$epid" 2>/dev/null
	! kill -0 "$bpid" 2>/dev/null
	run pgrep -g "$pg"
	assert_failure
	[ ! -e "$HOME/.codecast/head.pid" ]
	# timestamped one-line logs
	run grep -c -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{4} ' head.log
	[ "$output" -ge 4 ]
	grep -q 'cc-head: telegram: started (bridge' head.log
	grep -q 'cc-head: SIGTERM: stopping' head.log
	grep -q 'cc-head: telegram: stopped' head.log
	# nothing had to be killed
	! grep -q Killed head.log
}

@test "run: the engine killed with SIGKILL mid-reply is restarted and the reply completed" {
	export MOCK_CLAUDE_DELAY=0.1
	start_head
	session_started
	msg 'stream:60:0'
	wait_for 'texts | grep -q "w5 "' 20
	epid=$(state telegram engine_pid)
	kill -KILL "$epid"
	# the new engine resumes the reply from the daemon: the whole text, no cursor
	wait_for 'texts | grep -q "\"w1 w2 w3 .* w59 w60\"$"' 40
	wait_for 'texts | grep -q "completed after a restart"' 20
	grep -q 'telegram: engine killed by signal 9, bridge exited 0 after [0-9]*s; restarting in 1s' head.log
	[ "$(grep -c 'cc-head: telegram: started' head.log)" -eq 2 ]
	[ "$(state telegram restarts)" = 1 ]
	[ "$(state telegram engine_pid)" != "$epid" ]
}

@test "run: /restart (engine exit 75) restarts the pair at once, without backoff" {
	printf '    admin_users: [7]\n' >>"$CODECAST_CONFIG"
	start_head
	first=$(state telegram engine_pid)
	msg '/restart'
	wait_for 'grep -q "telegram: engine exited 75, bridge exited 0: the engine asked for a restart; restarting now" head.log' 20
	wait_for '[ "$(state telegram state)" = running ] && [ "$(state telegram engine_pid)" != "$first" ]'
	! grep -q 'restarting in' head.log
	[ "$(state telegram restarts)" = 1 ]
	# the new engine tells the channel it is back
	wait_for 'texts | grep -qi "restart"' 20
}

@test "run: a crash-looping bridge backs off 1, 2, 4 s while the Telegram pair keeps serving; 5 is not retried" {
	printf '#!/bin/sh\necho "fake-discord: boom" >&2\nexit 1\n' >crash
	chmod +x crash
	printf '  discord:\n    token: "x"\n' >>"$CODECAST_CONFIG"
	export CC_HEAD_BRIDGE_discord=$PWD/crash
	start_head
	session_started
	msg 'echo:still here'
	wait_for 'texts | grep -q "still here"' 20
	wait_for '[ "$(grep -c "cc-head: discord: started" head.log)" -ge 4 ]' 20
	grep -q 'discord: fake-discord: boom' head.log
	grep -Eq 'discord: engine exited 0, bridge exited 1 after [0-9]+s; restarting in 1s' head.log
	grep -q 'restarting in 2s' head.log
	grep -q 'restarting in 4s' head.log
	# the gaps between the starts, from the log's timestamps
	run bash -c "grep 'cc-head: discord: started' head.log | head -4 | cut -d' ' -f1 |
	    while read -r t; do date -d \"\$t\" +%s; done"
	s=(${lines[@]})
	[ $(( s[1] - s[0] )) -ge 1 ] && [ $(( s[2] - s[1] )) -ge 2 ] && [ $(( s[3] - s[2] )) -ge 4 ] ||
	    fail "gaps: ${s[*]}"
	state discord pgid >>pgids
	run cc-head status
	assert_failure 1
	assert_line --partial '"platform":"discord","state":"backoff"'
	assert_line --partial '"platform":"telegram","state":"running"'
	kill -TERM "$HEAD_PID"; wait "$HEAD_PID"; HEAD_PID=

	# exit 5: reported once, not restarted
	printf '#!/bin/sh\necho "fake-discord: 401 Unauthorized" >&2\nexit 5\n' >crash
	: >head.log
	start_head
	wait_for '[ "$(state discord state)" = failed ]'
	sleep 3
	[ "$(grep -c 'cc-head: discord: started' head.log)" -eq 1 ]
	grep -q 'discord: engine exited 0, bridge exited 5: the platform refused the credentials or the config is unusable; not restarted' head.log
	[ "$(state telegram state)" = running ]
}

@test "run: SIGHUP restarts the pairs with the config read again; a broken config keeps them" {
	printf '#!/bin/sh\nexit 5\n' >crash5
	chmod +x crash5
	export CC_HEAD_BRIDGE_lark=$PWD/crash5
	start_head
	first=$(state telegram bridge_pid)
	cp "$CODECAST_CONFIG" good.yaml
	printf 'peers: [\n' >"$CODECAST_CONFIG"
	kill -HUP "$HEAD_PID"
	wait_for 'grep -q "SIGHUP: config: .*the pairs keep running" head.log'
	[ "$(state telegram bridge_pid)" = "$first" ]
	{ cat good.yaml; printf '  lark:\n    app_id: a\n    app_secret: b\n'; } >"$CODECAST_CONFIG"
	kill -HUP "$HEAD_PID"
	wait_for '[ -n "$(state telegram bridge_pid)" ] && [ "$(state telegram bridge_pid)" != "$first" ] && [ "$(state lark state)" = failed ]'
	grep -q 'SIGHUP: restarting the pairs' head.log
	grep -q 'telegram: stopped' head.log
	! grep -q Killed head.log
	state telegram pgid >>pgids
}

@test "run: a configured platform whose bridge is not installed is skipped with one line; nothing to run is 78" {
	mkdir only
	for c in cc-head cc-config cc-engine cc-telegram cc-deploy cc-session cc-tunnel cc-rpc; do
		ln -s "$CC_BIN/$c" only/$c
	done
	printf '  lark:\n    app_id: a\n    app_secret: b\n' >>"$CODECAST_CONFIG"
	PATH=$PWD/only:/usr/bin:/bin only/cc-head run --log head.log &
	HEAD_PID=$!
	wait_for '[ "$(state telegram state)" = running ]'
	state telegram pgid >>pgids
	run grep -c 'lark: configured, but cc-lark is not installed; skipped' head.log
	assert_output 1
	kill -TERM "$HEAD_PID"; wait "$HEAD_PID"; HEAD_PID=
	printf 'peers: {}\n' >empty.yaml
	run cc-head -c empty.yaml run
	assert_equal "$status" 78
	assert_output --partial 'nothing to run'
	printf 'peers: [\n' >bad.yaml
	run cc-head -c bad.yaml run
	assert_equal "$status" 78
	assert_output --partial 'config:'
}

@test "start, status, stop: a round trip; stop leaves no process behind (by process group)" {
	run cc-head status
	assert_failure 1
	assert_line --index 0 --partial '"type":"head","state":"stopped"'
	run cc-head start
	assert_success
	assert_output --regexp '^cc-head started \(pid [0-9]+, log .*/\.codecast/head\.log\)$'
	hp=$(cat "$HOME/.codecast/head.pid")
	[ "$(stat -c %a "$HOME/.codecast/head.pid")" = 600 ]
	wait_for '[ "$(state telegram state)" = running ]'
	pg=$(state telegram pgid)
	echo "$pg" >>pgids
	hpg=$(ps -o pgid= -p "$hp" | tr -d ' ')
	[ "$hpg" = "$hp" ]	# setsid: the head leads its own group
	session_started
	run cc-head start
	assert_success
	assert_output "cc-head already running (pid $hp)"
	run cc-head status
	assert_success
	assert_line --index 0 --regexp "^\\{\"type\":\"head\",\"state\":\"running\",\"pid\":$hp,\"uptime\":[0-9]+,"
	assert_line --index 1 --regexp '^\{"type":"bridge","platform":"telegram","state":"running","pid":[0-9]+,"engine_pid":[0-9]+,"uptime":[0-9]+,"restarts":0,'
	assert_line --index 2 --regexp '^\{"type":"peer","peer":"local",.*"status":"online","daemon":"running"'
	assert_line --index 3 '{"type":"sessions","active":1,"detached":0,"total":1}'
	run cc-head status -t
	assert_success
	assert_line --index 0 --regexp '^WHAT +STATE +PID +UPTIME +RESTARTS +DETAIL$'
	assert_line --index 1 --regexp "^head +running +$hp "
	assert_line --index 2 --regexp '^telegram +running +[0-9]+ +[0-9]+s +0 +engine [0-9]+$'
	assert_line --index 3 --regexp '^peer local +online .*daemon running'
	assert_line --index 4 --regexp '^sessions .*1 active, 0 detached, 1 in all$'
	run cc-head stop
	assert_success
	assert_output "cc-head stopped (pid $hp)"
	run pgrep -g "$hp,$pg"
	assert_failure
	run pgrep -f "cc-(engine|telegram|rpc) .*$CODECAST_CONFIG"
	assert_failure
	[ ! -e "$HOME/.codecast/head.pid" ]
	[ -z "$(ls "$RUNBASE")" ]
	run cc-head status
	assert_failure 1
	run cc-head stop
	assert_success
	assert_output 'cc-head is not running'
	grep -q 'cc-head: stopped' "$HOME/.codecast/head.log"
}

@test "check: ok; a refused token, a missing bridge and an unreachable peer each get a line with its fix" {
	run cc-head check
	assert_success
	assert_output --regexp '^ok: config .*, 1 bot\(s\) accepted, 1 peer\(s\) reachable$'
	sed -i 's/123:TEST/999:WRONG/' "$CODECAST_CONFIG"
	port=$(free_port)
	printf '  far:\n    ssh_host: 127.0.0.1\n    ssh_port: %s\n' "$port" >far.yaml
	sed -i "/^peers:/r far.yaml" "$CODECAST_CONFIG"
	run cc-head check
	assert_failure 1
	assert_line --regexp '^telegram: credentials refused: .*the bot token is wrong.* -- fix: set the token'
	assert_line --regexp '^peer far: unreachable -- fix: '
	[ "${#lines[@]}" -eq 2 ]
	printf 'peers: [\n' >bad.yaml
	run cc-head -c bad.yaml check
	assert_failure 1
	assert_output --regexp '^config: .*bad.yaml.* -- fix: edit '
	printf 'peers: {}\n' >none.yaml
	run cc-head -c none.yaml check
	assert_failure 1
	assert_output --partial 'no chat platform configured -- fix:'
}

@test "make install puts the systemd user unit (ExecStart in BINDIR) and the cron example in place" {
	dest="$BATS_TEST_TMPDIR/dest"
	run make -s -C "$CODECAST_TOP" install DESTDIR="$dest" PREFIX=/opt/cc \
		BUILD="$CC_BUILD" BIN="$CC_BIN" SANITIZE="${SANITIZE:-}"
	assert_success
	u=$dest/opt/cc/lib/systemd/user/codecast.service
	[ -f "$u" ]
	grep -qx 'ExecStart=/opt/cc/bin/cc-head run' "$u"
	grep -qx 'RestartPreventExitStatus=78' "$u"
	if command -v systemd-analyze >/dev/null; then
		run systemd-analyze verify --user "$u"
		refute_output --partial 'Unknown'
	fi
	grep -q 'cc-head status' "$dest/opt/cc/share/doc/codecast/cron.example"
	[ -x "$dest/opt/cc/bin/cc-head" ]
	[ -x "$dest/opt/cc/bin/cc-tty" ]
	grep -q '^VERSION=[0-9]' "$dest/opt/cc/bin/cc-head"
}

@test "run: the Telegram and the Discord pairs side by side, each answering its own chat end to end" {
	fake-discord --port-file dport >/dev/null 2>dfake.err &
	DFAKE=$!
	for _ in $(seq 100); do [ -s dport ] && break; sleep 0.05; done
	DAPI=http://127.0.0.1:$(cat dport)
	printf '  discord:\n    token: "Bot TESTTOKEN"\n    api_url: %s/api/v10\n' "$DAPI" >>"$CODECAST_CONFIG"
	start_head
	wait_for '[ "$(state discord state)" = running ]'
	state discord pgid >>pgids
	# Telegram
	session_started
	msg 'echo:from telegram'
	wait_for 'texts | grep -q "from telegram"' 30
	# Discord, through its own engine
	dsay() {
		curl -sf -X POST "$DAPI/control/message" -d "$(jq -nc --arg t "$1" \
		    '{channel_id: "55", content: $t, author: {id: "7", username: "alice"}}')" >/dev/null
	}
	dcontents() { curl -sf "$DAPI/control/messages" | jq -r '.["55"][]? | select(.author.bot) | .content'; }
	wait_for 'curl -sf "$DAPI/control/gateway" | jq -e ".seq >= 1" >/dev/null' 20
	dsay '/start local app'
	wait_for 'dcontents | grep -q "Session ready"' 30
	dsay 'echo:from discord'
	wait_for 'dcontents | grep -qx "from discord"' 30
	# each platform's session is its own
	cc-session resolve telegram:7 >/dev/null
	cc-session resolve discord:55 >/dev/null
}
