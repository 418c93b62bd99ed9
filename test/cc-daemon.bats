#!/usr/bin/env bats
# cc-daemon: the upstream daemon protocol, driven with curl and jq against a
# daemon on a free loopback port, a temporary HOME, and mock-claude as
# `claude` first on PATH.

load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

setup() {
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME/Projects/app" "$HOME/work dir"
	FAKEBIN="$BATS_TEST_TMPDIR/fakebin"
	mkdir -p "$FAKEBIN"
	ln -s "$CODECAST_TOP/test/fakes/mock-claude" "$FAKEBIN/claude"
	export PATH="$FAKEBIN:$PATH"
	export MOCK_CLAUDE_ARGV_JSONL="$BATS_TEST_TMPDIR/argv.jsonl"
	DAEMON=${DAEMON:-cc-daemon}
	PIDS=()
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		kill -CONT "$p" 2>/dev/null || true	# a stopped client
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
}

# start_daemon [ARGS...]: start in the background on a free port; sets
# DPID, PORT, URL.  Extra environment can be given by the caller's env.
start_daemon() {
	local out="$BATS_TEST_TMPDIR/daemon.out" i
	: >"$out"
	"$DAEMON" -p 0 "$@" >"$out" 2>"$BATS_TEST_TMPDIR/daemon.err" &
	DPID=$!
	PIDS+=("$DPID")
	for i in $(seq 100); do
		grep -q '^DAEMON_PORT=' "$out" && break
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	PORT=$(sed -n 's/^DAEMON_PORT=//p' "$out")
	[ -n "$PORT" ] || { cat "$BATS_TEST_TMPDIR/daemon.err" >&2; return 1; }
	URL="http://127.0.0.1:$PORT/rpc"
}

# rpc METHOD [PARAMS-JSON]: the whole JSON reply body.
rpc() {
	local body
	if [ $# -ge 2 ]; then
		body=$(jq -cn --arg m "$1" --argjson p "$2" '{method:$m,params:$p}')
	else
		body=$(jq -cn --arg m "$1" '{method:$m}')
	fi
	curl -sS -m 20 -H 'Content-Type: application/json' -d "$body" "$URL"
}

# send SID MESSAGE: the SSE data payloads, one per line ([DONE] included).
send() {
	local body
	body=$(jq -cn --arg s "$1" --arg m "$2" \
	    '{method:"session.send",params:{sessionId:$s,message:$m}}')
	curl -sS -N -m 60 -H 'Content-Type: application/json' -d "$body" "$URL" |
	    sed -u -n 's/^data: //p'
}

create() {	# create PATH [EXTRA-PARAMS-JSON]
	local p
	p=$(jq -cn --arg p "$1" --argjson x "${2:-{\}}" '{path:$p} + $x')
	rpc session.create "$p" | jq -er .result.sessionId
}

wait_idle() {	# wait_idle SID: until the session has no run (max 20 s)
	local i
	for i in $(seq 200); do
		[ "$(rpc session.list | jq -r --arg s "$1" \
		    '.result.sessions[] | select(.sessionId==$s) | .status')" = idle ] &&
		    return 0
		sleep 0.1
	done
	return 1
}

last_argv() {	# the argv of the last CLI run, one JSON array (argv[0]'s basename)
	tail -n 1 "$MOCK_CLAUDE_ARGV_JSONL" | jq -c '.argv | .[0] |= (split("/") | last)'
}

@test "--version and --help" {
	run cc-daemon --version
	assert_success
	assert_output "cc-daemon 0.1.0"
	run cc-daemon --help
	assert_success
	assert_output --partial "usage: cc-daemon"
	run cc-daemon --bogus
	assert_failure 2
}

@test "DAEMON_PORT on stdout, port file written 0600, removed on SIGTERM" {
	start_daemon
	[ -f "$HOME/.codecast/daemon.port" ]
	assert_equal "$(cat "$HOME/.codecast/daemon.port")" "$PORT"
	assert_equal "$(stat -c %a "$HOME/.codecast/daemon.port")" 600
	assert_equal "$(stat -c %a "$HOME/.codecast")" 700
	kill -TERM "$DPID"
	wait "$DPID"
	[ ! -e "$HOME/.codecast/daemon.port" ]
}

@test "port fallback: a taken port moves to the next free one (DAEMON_PORT)" {
	start_daemon
	local first=$PORT out="$BATS_TEST_TMPDIR/b.out" pid2 i
	DAEMON_PORT=$first cc-daemon --port-file "$BATS_TEST_TMPDIR/b.port" \
	    >"$out" 2>"$BATS_TEST_TMPDIR/b.err" &
	pid2=$!
	PIDS+=("$pid2")
	for i in $(seq 100); do grep -q DAEMON_PORT "$out" && break; sleep 0.05; done
	local second
	second=$(sed -n 's/^DAEMON_PORT=//p' "$out")
	[ -n "$second" ]
	[ "$second" -gt "$first" ] && [ "$second" -le $((first + 100)) ]
	assert_equal "$(cat "$BATS_TEST_TMPDIR/b.port")" "$second"
	grep -q "port $first is taken" "$BATS_TEST_TMPDIR/b.err"
	URL="http://127.0.0.1:$second/rpc"
	run rpc health.check
	assert_equal "$(jq .result.pid <<<"$output")" "$pid2"
}

@test "health.check: upstream shape" {
	start_daemon
	run rpc health.check
	assert_success
	echo "$output" | jq -e --argjson pid "$DPID" '.result |
	    .ok == true and .sessions == 0 and .sessionsByStatus == {} and
	    (.uptime | type) == "number" and (.memory.rss | type) == "number" and
	    (.memory.heapUsed | type) == "number" and
	    (.memory.heapTotal | type) == "number" and
	    .version == "0.1.0" and .pid == $pid'
	create app >/dev/null
	rpc health.check | jq -e '.result.sessions == 1 and .result.sessionsByStatus == {idle: 1}'
}

@test "envelope: id echoed, -32600, -32601, 400, 415, 422, 404, 405" {
	start_daemon
	run curl -sS -H 'Content-Type: application/json' -d '{"method":"health.check","id":"abc"}' "$URL"
	echo "$output" | jq -e '.id == "abc" and .result.ok == true'
	run curl -sS -H 'Content-Type: application/json' -d '{"params":{}}' "$URL"
	echo "$output" | jq -e '.error.code == -32600 and .error.message == "Invalid request: missing method" and (has("id") | not)'
	run curl -sS -H 'Content-Type: application/json' -d '{"method":"nope.x","id":"7"}' "$URL"
	echo "$output" | jq -e '.error.code == -32601 and .error.message == "Method not found: nope.x" and .id == "7"'
	run curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{bad' "$URL"
	assert_output 400
	run curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' -d '{"method":"health.check"}' "$URL"
	assert_output 415
	run curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"method":"health.check","id":5}' "$URL"
	assert_output 422
	run curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$PORT/other"
	assert_output 404
	run curl -sS -o /dev/null -w '%{http_code}' "$URL"
	assert_output 405
}

@test "session.create: ~, bare names, modes, cli_type; path errors" {
	start_daemon
	local sid
	sid=$(create app)
	[[ "$sid" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	rpc session.list | jq -e --arg s "$sid" --arg h "$HOME" \
	    '.result.sessions[] | select(.sessionId==$s) | .path == ($h + "/Projects/app") and .mode == "auto" and .cliType == "claude"'
	sid=$(create "~/work dir" '{"mode":"plan","model":"m-1","cli_type":"codex"}')
	rpc session.list | jq -e --arg s "$sid" --arg h "$HOME" \
	    '.result.sessions[] | select(.sessionId==$s) | .path == ($h + "/work dir") and .mode == "plan" and .model == "m-1" and .cliType == "codex"'
	sid=$(create "$HOME" '{"mode":"bogus"}')
	rpc session.list | jq -e --arg s "$sid" '.result.sessions[] | select(.sessionId==$s) | .mode == "auto"'
	run rpc session.create '{"path":"nosuch"}'
	echo "$output" | jq -e --arg h "$HOME" '.error.code == -32000 and .error.message == "Path does not exist on remote machine: \($h)/Projects/nosuch (resolved from: nosuch)"'
	run rpc session.create '{}'
	echo "$output" | jq -e '.error.code == -32000 and .error.message == "Missing required param: path"'
	run rpc session.create
	echo "$output" | jq -e '.error.code == -32000 and .error.message == "Missing params"'
}

@test "session.list and monitor.sessions: field names and types" {
	start_daemon
	local sid ts='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+\+00:00$'
	sid=$(create app)
	rpc session.list | jq -e --arg s "$sid" --arg ts "$ts" '.result.sessions | length == 1 and (.[0] |
	    .sessionId == $s and .status == "idle" and .sdkSessionId == null and .model == null and
	    (.createdAt | test($ts)) and (.lastActivityAt | test($ts)) and
	    (keys == (["cliType","createdAt","lastActivityAt","mode","model","path","sdkSessionId","sessionId","status"])))'
	rpc monitor.sessions | jq -e --arg s "$sid" '.result | .totalSessions == 1 and (.uptime | type) == "number" and
	    (.sessions[0] | .sessionId == $s and .queue == {userPending:0,responsePending:0,clientConnected:true} and
	    (keys == (["createdAt","lastActivityAt","mode","model","path","queue","sdkSessionId","sessionId","status"])))'
}

@test "session.send: SSE headers, upstream event sequence, [DONE]" {
	start_daemon
	local sid body
	sid=$(create app)
	body=$(jq -cn --arg s "$sid" '{method:"session.send",params:{sessionId:$s,message:"echo:hi there"}}')
	run curl -sS -N -D "$BATS_TEST_TMPDIR/h" -H 'Content-Type: application/json' -d "$body" "$URL"
	assert_success
	grep -qi '^content-type: text/event-stream' "$BATS_TEST_TMPDIR/h"
	grep -qi '^cache-control: no-cache' "$BATS_TEST_TMPDIR/h"
	grep -qi '^x-accel-buffering: no' "$BATS_TEST_TMPDIR/h"
	# every event is "data: JSON" and a blank line
	[ "$(printf '%s\n' "$output" | grep -vc '^data: \|^$')" -eq 0 ]
	run send "$sid" "echo:hi there"
	assert_equal "$(sed '$d' <<<"$output" | jq -r .type | tr '\n' ' ')" "ping system partial partial text result "
	assert_equal "$(tail -n 1 <<<"$output")" "[DONE]"
	sed '$d' <<<"$output" | jq -se '.[1].subtype == "init" and .[1].model == "mock-claude-1.0" and
	    (.[1].session_id | startswith("mock-session-")) and .[1].raw.type == "system" and
	    .[2] == {type:"partial",content:"hi "} and .[3] == {type:"partial",content:"there "} and
	    .[4] == {type:"text",content:"hi there"} and .[5].session_id == .[1].session_id and
	    .[5].raw.usage.output_tokens == 7 and (.[0] | keys) == ["type"]'
	# the CLI's session id and model are tracked
	rpc session.list | jq -e '.result.sessions[0] | (.sdkSessionId | startswith("mock-session-")) and .model == "mock-claude-1.0"'
}

@test "session.send: -32602, unknown session as an SSE error" {
	start_daemon
	run rpc session.send '{"sessionId":"x"}'
	echo "$output" | jq -e '.error.code == -32602 and .error.message == "Missing required params: sessionId, message"'
	run rpc session.send
	echo "$output" | jq -e '.error.code == -32602'
	run send nosuch hello
	assert_equal "${lines[0]}" '{"type":"error","message":"Session not found: nosuch"}'
	assert_equal "${lines[1]}" "[DONE]"
}

@test "tools, multi, huge (>100 KiB line), nonjson, error, fail-init" {
	start_daemon
	local sid
	sid=$(create app)
	run send "$sid" tools
	sed '$d' <<<"$output" | jq -se '[.[] | select(.type=="tool_use")] ==
	    [{type:"tool_use",tool:"Read"},{type:"tool_use",tool:"Read",input:{file_path:"/tmp/test.txt"}}] and
	    ([.[] | select(.type=="text")][0].content == "I read the file.") and .[-1].type == "result"'
	run send "$sid" multi
	sed '$d' <<<"$output" | jq -se '[.[] | select(.type=="tool_use") | .tool] == ["Read","Read","Bash","Bash"]'
	run send "$sid" huge
	sed '$d' <<<"$output" | jq -se '([.[] | select(.type=="partial")][0].content | utf8bytelength) > 102400 and
	    ([.[] | select(.type=="partial")][0].content == [.[] | select(.type=="text")][0].content) and .[-1].type == "result"'
	run send "$sid" nonjson
	assert_equal "$(sed '$d' <<<"$output" | jq -r .type | sort -u | tr '\n' ' ')" "partial ping result system text "
	run send "$sid" error
	assert_equal "$(tail -n 2 <<<"$output" | head -n 1)" '{"type":"error","message":"Claude process exited abnormally (code=1, signal=null)"}'
	run send "$sid" fail-init
	assert_equal "${lines[1]}" '{"type":"error","message":"Claude process exited abnormally (code=2, signal=null)"}'
	assert_equal "${lines[2]}" "[DONE]"
	# the session still works
	run send "$sid" "echo:ok"
	assert_equal "$(sed '$d' <<<"$output" | jq -r 'select(.type=="text").content')" ok
}

@test "a CLI that cannot start gives 'Failed to spawn'" {
	start_daemon
	local sid
	sid=$(create app '{"cli_type":"opencode"}')
	run send "$sid" hello
	assert_equal "${lines[1]}" '{"type":"error","message":"Failed to spawn opencode: No such file or directory"}'
	assert_equal "${lines[2]}" "[DONE]"
	rpc session.list | jq -e '.result.sessions[0].status == "idle"'
}

@test "argv: claude flags per mode, model, resume; cwd, TERM=dumb" {
	start_daemon
	local sid sdk
	sid=$(create app)
	send "$sid" "echo:one" >/dev/null
	assert_equal "$(last_argv)" '["claude","-p","echo:one","--output-format","stream-json","--include-partial-messages","--verbose","--dangerously-skip-permissions"]'
	tail -n 1 "$MOCK_CLAUDE_ARGV_JSONL" | jq -e --arg h "$HOME" '.cwd == ($h + "/Projects/app") and .term == "dumb"'
	sdk=$(rpc session.list | jq -r '.result.sessions[0].sdkSessionId')
	# second turn: --resume with the CLI's id; the reported model is kept
	send "$sid" "echo:two" >/dev/null
	assert_equal "$(last_argv)" "[\"claude\",\"-p\",\"echo:two\",\"--output-format\",\"stream-json\",\"--include-partial-messages\",\"--verbose\",\"--dangerously-skip-permissions\",\"--model\",\"mock-claude-1.0\",\"--resume\",\"$sdk\"]"
	# set_mode code: no permission flag; set_model: --model
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"code"}')" | jq -e '.result == {ok:true}'
	rpc session.set_model "$(jq -cn --arg s "$sid" '{sessionId:$s,model:"opus-9"}')" | jq -e '.result == {ok:true}'
	send "$sid" "echo:three" >/dev/null
	last_argv | jq -e '(index("--dangerously-skip-permissions") == null) and .[index("--model")+1] == "opus-9"'
	# the CLI echoes --model in its init line
	run send "$sid" "echo:four"
	assert_equal "$(sed -n 2p <<<"$output" | jq -r .model)" opus-9
	# session.resume stores the sdk id to resume
	rpc session.resume "$(jq -cn --arg s "$sid" '{sessionId:$s,sdkSessionId:"sdk-from-head"}')" | jq -e '.result == {ok:true,fallback:false}'
	send "$sid" "echo:five" >/dev/null
	last_argv | jq -e '.[index("--resume")+1] == "sdk-from-head"'
	for mode in plan ask; do
		rpc session.set_mode "$(jq -cn --arg s "$sid" --arg m $mode '{sessionId:$s,mode:$m}')" | jq -e '.result.ok'
		send "$sid" "echo:$mode" >/dev/null
		last_argv | jq -e 'index("--dangerously-skip-permissions") == null'
	done
}

@test "argv: the message is one element, quotes, ; \$() and newlines untouched" {
	start_daemon
	local sid msg
	sid=$(create app)
	msg=$'it\'s "quoted"; $(touch /tmp/pwned-$$) `id` && rm -rf x\nsecond line\n\ttab * ?'
	run send "$sid" "echo:$msg"
	tail -n 1 "$MOCK_CLAUDE_ARGV_JSONL" | jq -e --arg m "echo:$msg" '.argv[2] == $m and (.argv | length) == 8'
	[ ! -e "/tmp/pwned-$$" ]
	# the ARGV_LOG form: one line per element
	export MOCK_CLAUDE_ARGV_LOG="$BATS_TEST_TMPDIR/argv.log"
}

@test "argv: codex, gemini and opencode flags per mode (upstream §6.2)" {
	local k
	for k in codex gemini opencode; do
		ln -s "$CODECAST_TOP/test/fakes/mock-claude" "$FAKEBIN/$k"
	done
	start_daemon
	local sid cwd="$HOME/Projects/app"
	sid=$(create app '{"cli_type":"codex"}')
	send "$sid" "do it" >/dev/null
	assert_equal "$(last_argv)" "[\"codex\",\"exec\",\"--json\",\"--full-auto\",\"--cd\",\"$cwd\",\"do it\"]"
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"plan"}')" >/dev/null
	rpc session.set_model "$(jq -cn --arg s "$sid" '{sessionId:$s,model:"o4"}')" >/dev/null
	rpc session.resume "$(jq -cn --arg s "$sid" '{sessionId:$s,sdkSessionId:"th_1"}')" >/dev/null
	send "$sid" "do it" >/dev/null
	assert_equal "$(last_argv)" "[\"codex\",\"exec\",\"resume\",\"th_1\",\"--json\",\"--sandbox\",\"read-only\",\"--model\",\"o4\",\"--cd\",\"$cwd\",\"do it\"]"
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"ask"}')" >/dev/null
	send "$sid" "q" >/dev/null
	last_argv | jq -e '.[5:9] == ["--sandbox","read-only","--approval-policy","on-failure"]'

	sid=$(create app '{"cli_type":"gemini","mode":"auto"}')
	send "$sid" "hi" >/dev/null
	last_argv | jq -e '.[0:8] == ["gemini","-p","hi","--output-format","stream-json","--approval-mode","yolo"] or
	    .[0:7] == ["gemini","-p","hi","--output-format","stream-json","--approval-mode","yolo"]'
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"code"}')" >/dev/null
	rpc session.resume "$(jq -cn --arg s "$sid" '{sessionId:$s,sdkSessionId:"g1"}')" >/dev/null
	send "$sid" "hi" >/dev/null
	assert_equal "$(last_argv)" '["gemini","-p","hi","--output-format","stream-json","--approval-mode","auto_edit","--resume","g1"]'
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"plan"}')" >/dev/null
	send "$sid" "hi" >/dev/null
	last_argv | jq -e '.[5] == "--sandbox" and index("--approval-mode") == null'

	sid=$(create app '{"cli_type":"opencode","model":"x/y"}')
	send "$sid" "go" >/dev/null
	assert_equal "$(last_argv)" '["opencode","run","go","--format","json","--quiet","--yolo","--model","x/y"]'
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"plan"}')" >/dev/null
	rpc session.resume "$(jq -cn --arg s "$sid" '{sessionId:$s,sdkSessionId:"ses_1"}')" >/dev/null
	send "$sid" "go" >/dev/null
	assert_equal "$(last_argv)" '["opencode","run","go","--format","json","--quiet","--agent","plan","--model","x/y","--session","ses_1"]'
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"ask"}')" >/dev/null
	send "$sid" "go" >/dev/null
	last_argv | jq -e 'index("--yolo") == null and index("--agent") == null'
}

@test "set_mode, set_model, resume, destroy, interrupt, queue_stats, reconnect: errors" {
	start_daemon
	local sid
	sid=$(create app)
	run rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"turbo"}')"
	echo "$output" | jq -e '.error == {code:-32000,message:"Invalid mode"}'
	run rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s}')"
	echo "$output" | jq -e '.error == {code:-32000,message:"Missing required params: sessionId, mode"}'
	run rpc session.set_mode '{"sessionId":"nope","mode":"plan"}'
	echo "$output" | jq -e '.error == {code:-32000,message:"Session not found: nope"}'
	run rpc session.set_model '{"sessionId":"nope","model":"m"}'
	echo "$output" | jq -e '.error.code == -32000'
	run rpc session.set_model '{}'
	echo "$output" | jq -e '.error == {code:-32000,message:"Missing required params: sessionId"}'
	rpc session.set_model "$(jq -cn --arg s "$sid" '{sessionId:$s,model:"m1"}')" >/dev/null
	rpc session.set_model "$(jq -cn --arg s "$sid" '{sessionId:$s,model:null}')" | jq -e '.result == {ok:true}'
	rpc session.list | jq -e '.result.sessions[0].model == null'
	run rpc session.resume '{"sessionId":"nope"}'
	echo "$output" | jq -e '.result == {ok:false,fallback:false}'
	run rpc session.interrupt '{"sessionId":"nope"}'
	echo "$output" | jq -e '.error == {code:-32000,message:"Session not found: nope"}'
	run rpc session.interrupt "$(jq -cn --arg s "$sid" '{sessionId:$s}')"
	echo "$output" | jq -e '.result == {ok:true,interrupted:false}'
	run rpc session.queue_stats '{"sessionId":"nope"}'
	echo "$output" | jq -e '.error == {code:-32000,message:"Session not found"}'
	run rpc session.queue_stats "$(jq -cn --arg s "$sid" '{sessionId:$s}')"
	echo "$output" | jq -e '.result == {userPending:0,responsePending:0,clientConnected:true}'
	run rpc session.reconnect '{"sessionId":"nope"}'
	echo "$output" | jq -e '.result == {bufferedEvents:[]}'
	for m in session.resume session.destroy session.interrupt session.queue_stats session.reconnect; do
		rpc $m '{}' | jq -e '.error == {code:-32000,message:"Missing required param: sessionId"}'
		rpc $m | jq -e '.error == {code:-32000,message:"Missing params"}'
	done
	run rpc session.destroy '{"sessionId":"nope"}'
	echo "$output" | jq -e '.result == {ok:false}'
	rpc session.destroy "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result == {ok:true}'
	rpc session.list | jq -e '.result.sessions == []'
}

@test "queued messages: queued{position}, replies come back from reconnect" {
	MOCK_CLAUDE_DELAY=0.05 start_daemon
	local sid
	sid=$(create app)
	send "$sid" "count:20" >"$BATS_TEST_TMPDIR/first" &
	PIDS+=($!)
	for i in $(seq 100); do grep -q system "$BATS_TEST_TMPDIR/first" && break; sleep 0.05; done
	run send "$sid" "echo:queued one"
	assert_equal "$output" $'{"type":"ping"}\n{"type":"queued","position":1}\n[DONE]'
	run send "$sid" "echo:queued two"
	assert_equal "${lines[1]}" '{"type":"queued","position":2}'
	rpc session.queue_stats "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.userPending == 2'
	rpc health.check | jq -e '.result.sessionsByStatus == {busy:1}'
	wait_idle "$sid"
	# the first stream was complete
	assert_equal "$(sed '$d' "$BATS_TEST_TMPDIR/first" | jq -j 'select(.type=="partial").content')" "$(seq -s ' ' 20) "
	rpc session.queue_stats "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.userPending == 0 and .result.responsePending > 0'
	run rpc session.reconnect "$(jq -cn --arg s "$sid" '{sessionId:$s}')"
	echo "$output" | jq -e '[.result.bufferedEvents[] | select(.type=="text").content] == ["queued one","queued two"] and
	    ([.result.bufferedEvents[] | .type] | map(select(. == "result")) | length) == 2 and
	    ([.result.bufferedEvents[] | select(.type=="ping")] == [])'
	rpc session.reconnect "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.bufferedEvents == []'
}

@test "a client that disconnects mid-stream loses nothing: the rest comes from reconnect" {
	MOCK_CLAUDE_DELAY=0.04 start_daemon
	local sid body cpid i
	sid=$(create app)
	body=$(jq -cn --arg s "$sid" '{method:"session.send",params:{sessionId:$s,message:"count:60"}}')
	curl -sS -N -H 'Content-Type: application/json' -d "$body" "$URL" >"$BATS_TEST_TMPDIR/part" &
	cpid=$!
	PIDS+=("$cpid")
	for i in $(seq 200); do grep -q '"content":"10 "' "$BATS_TEST_TMPDIR/part" && break; sleep 0.02; done
	kill "$cpid"
	wait "$cpid" || true
	grep -q '"content":"10 "' "$BATS_TEST_TMPDIR/part"
	! grep -q 'DONE' "$BATS_TEST_TMPDIR/part"
	wait_idle "$sid"
	rpc session.queue_stats "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.clientConnected == false and .result.responsePending > 0'
	rpc session.reconnect "$(jq -cn --arg s "$sid" '{sessionId:$s}')" >"$BATS_TEST_TMPDIR/rest"
	jq -e '.result.bufferedEvents[-1].type == "result"' "$BATS_TEST_TMPDIR/rest"
	# what the client read + what reconnect returned = the whole reply, in order, once
	got="$( { sed -n 's/^data: //p' "$BATS_TEST_TMPDIR/part" | jq -j 'select(.type=="partial").content';
	    jq -j '.result.bufferedEvents[] | select(.type=="partial").content' "$BATS_TEST_TMPDIR/rest"; } )"
	assert_equal "$got" "$(seq -s ' ' 60) "
	rpc session.queue_stats "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.clientConnected == true and .result.responsePending == 0'
}

@test "interrupting a hanging CLI ends its stream within 6 s; the session takes the next message" {
	start_daemon
	local sid i
	sid=$(create app)
	send "$sid" "hang" >"$BATS_TEST_TMPDIR/hang" &
	local spid=$!
	PIDS+=("$spid")
	for i in $(seq 100); do grep -q 'working' "$BATS_TEST_TMPDIR/hang" && break; sleep 0.05; done
	send "$sid" "echo:queued" >/dev/null
	rpc session.queue_stats "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.userPending == 1'
	local t0=$SECONDS
	rpc session.interrupt "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result == {ok:true,interrupted:true}'
	for i in $(seq 120); do kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$spid" 2>/dev/null
	[ $((SECONDS - t0)) -le 6 ]
	assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/hang")" "[DONE]"
	! grep -q '"type":"result"' "$BATS_TEST_TMPDIR/hang"
	# the queue was cleared: the queued message never ran
	wait_idle "$sid"
	rpc session.queue_stats "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.userPending == 0'
	run send "$sid" "echo:after"
	assert_equal "$(sed '$d' <<<"$output" | jq -r 'select(.type=="text").content')" after
	! grep -q 'echo:queued' "$MOCK_CLAUDE_ARGV_JSONL"
}

@test "a CLI that ignores SIGTERM is killed after 5 s; destroy does not block other requests" {
	cat >"$FAKEBIN/codex" <<-'EOF'
	#!/bin/sh
	trap '' TERM
	echo '{"type":"thread.started","thread_id":"t1"}'
	echo $$ >"$STUBBORN_PID"
	while :; do sleep 1; done
	EOF
	chmod +x "$FAKEBIN/codex"
	export STUBBORN_PID="$BATS_TEST_TMPDIR/stubborn.pid"
	start_daemon
	local sid i cpid
	sid=$(create app '{"cli_type":"codex"}')
	send "$sid" "x" >"$BATS_TEST_TMPDIR/s" &
	PIDS+=($!)
	for i in $(seq 100); do [ -s "$STUBBORN_PID" ] && break; sleep 0.05; done
	cpid=$(cat "$STUBBORN_PID")
	run curl -sS -m 2 -H 'Content-Type: application/json' \
	    -d "$(jq -cn --arg s "$sid" '{method:"session.destroy",params:{sessionId:$s}}')" "$URL"
	echo "$output" | jq -e '.result == {ok:true}'
	run curl -sS -m 2 -H 'Content-Type: application/json' -d '{"method":"health.check"}' "$URL"
	echo "$output" | jq -e '.result.sessions == 0'
	kill -0 "$cpid"	# still alive: it ignored SIGTERM
	for i in $(seq 160); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$cpid" 2>/dev/null
	for i in $(seq 40); do grep -q DONE "$BATS_TEST_TMPDIR/s" && break; sleep 0.05; done
	assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/s")" "[DONE]"
}

@test "50 sessions streaming at once each get their complete, ordered sequence" {
	start_daemon
	local i sids=() pids=()
	for i in $(seq 50); do sids+=("$(create app)"); done
	for i in $(seq 0 49); do
		send "${sids[$i]}" "count:$((100 + i))" >"$BATS_TEST_TMPDIR/s$i" &
		pids+=($!)
	done
	PIDS+=("${pids[@]}")
	for i in "${pids[@]}"; do wait "$i"; done
	for i in $(seq 0 49); do
		assert_equal "$(sed '$d' "$BATS_TEST_TMPDIR/s$i" | jq -r .type | uniq | tr '\n' ' ')" "ping system partial text result "
		assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/s$i")" "[DONE]"
		assert_equal "$(sed '$d' "$BATS_TEST_TMPDIR/s$i" | jq -j 'select(.type=="partial").content')" "$(seq -s ' ' $((100 + i))) "
		sed '$d' "$BATS_TEST_TMPDIR/s$i" | jq -se --arg s "${sids[$i]}" '.[-1].raw.result == ([range(1; '$((101 + i))')] | map(tostring) | join(" "))'
	done
	run rpc health.check
	echo "$output"
	echo "$output" | jq -e ".result.sessions == 50 and .result.sessionsByStatus == {idle:50}"
}

@test "SIGTERM ends every CLI, removes the port file, exits 0" {
	start_daemon
	local sid i
	sid=$(create app)
	send "$sid" hang >/dev/null &
	PIDS+=($!)
	for i in $(seq 100); do [ -s "$MOCK_CLAUDE_ARGV_JSONL" ] && break; sleep 0.05; done
	sleep 0.3
	local cli
	cli=$(pgrep -P "$DPID" | head -n 1)
	[ -n "$cli" ]
	kill -TERM "$DPID"
	wait "$DPID"
	! kill -0 "$cli" 2>/dev/null
	[ ! -e "$HOME/.codecast/daemon.port" ]
}

@test "non-loopback bind: refuses to start without tokens; Bearer tokens checked" {
	run cc-daemon -p 0 -b 127.0.0.2 --port-file "$BATS_TEST_TMPDIR/p"
	assert_failure 1
	assert_output --partial "no tokens"
	mkdir -p "$HOME/.codecast"
	printf 'tokens:\n  - token: ccast_%064d\n    label: test\n    created: "2026-01-01T00:00:00"\n' 7 >"$HOME/.codecast/tokens.yaml"
	chmod 600 "$HOME/.codecast/tokens.yaml"
	CC_DAEMON_STRICT_AUTH=1 start_daemon -b 127.0.0.2
	URL="http://127.0.0.2:$PORT/rpc"
	run curl -sS -w ' %{http_code}' -H 'Content-Type: application/json' -d '{"method":"health.check"}' "$URL"
	assert_output "Unauthorized: missing Bearer token 401"
	run curl -sS -w ' %{http_code}' -H 'Authorization: Bearer ccast_nope' -H 'Content-Type: application/json' -d '{"method":"health.check"}' "$URL"
	assert_output "Unauthorized: invalid token 401"
	run curl -sS -H "Authorization: Bearer ccast_$(printf '%064d' 7)" -H 'Content-Type: application/json' -d '{"method":"health.check"}' "$URL"
	echo "$output" | jq -e '.result.ok == true'
}

@test "static binary: health.check and one send" {
	[ -x "$CC_BIN/cc-daemon-static" ] || skip "run 'make static' first"
	file "$CC_BIN/cc-daemon-static" | grep -q 'statically linked'
	DAEMON="$CC_BIN/cc-daemon-static"
	start_daemon
	rpc health.check | jq -e '.result.ok == true and .result.version == "0.1.0"'
	local sid
	sid=$(create app)
	run send "$sid" "echo:static ok"
	assert_equal "$(sed '$d' <<<"$output" | jq -r 'select(.type=="text").content')" "static ok"
}

@test "a stalled client holds the CLI back (bounded memory) and still gets every event" {
	rm "$FAKEBIN/claude"
	cat >"$FAKEBIN/claude" <<-'EOF2'
	#!/usr/bin/env python3
	import sys
	w = sys.stdout.write
	w('{"type":"system","subtype":"init","session_id":"bp","model":"m"}\n')
	pad = "x" * 200
	for i in range(300000):
	    if i % 1000 == 0:
	        sys.stdout.flush()
	        with open(sys.argv[0] + ".progress", "w") as f:
	            f.write(str(i))
	    w('{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"%d "}},"session_id":"bp","pad":"%s"}\n' % (i, pad))
	w('{"type":"result","subtype":"success","session_id":"bp"}\n')
	EOF2
	chmod +x "$FAKEBIN/claude"
	start_daemon
	local sid body cpid i rss
	sid=$(create app)
	body=$(jq -cn --arg s "$sid" '{method:"session.send",params:{sessionId:$s,message:"go"}}')
	curl -sS -N -H 'Content-Type: application/json' -d "$body" "$URL" >"$BATS_TEST_TMPDIR/big" &
	cpid=$!
	PIDS+=("$cpid")
	for i in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/big" ] && break; sleep 0.02; done
	kill -STOP "$cpid"
	# The CLI gets stuck writing: its progress stops well short of the end
	# (300000 lines of ~290 bytes = 87 MB would otherwise be in memory).
	local prev=-1 cur
	for i in $(seq 40); do
		sleep 0.5
		cur=$(cat "$FAKEBIN/claude.progress")
		[ "$cur" = "$prev" ] && break
		prev=$cur
	done
	echo "CLI stuck at line $cur of 300000"
	[ "$cur" = "$prev" ] && [ "$cur" -lt 200000 ]
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$DPID/status")
	echo "daemon RSS with a stalled client: $rss kB"
	# (AddressSanitizer's shadow memory and quarantine inflate RSS.)
	[ "${SANITIZE:-}" = 1 ] || [ "$rss" -lt 30000 ]
	rpc session.list | jq -e '.result.sessions[0].status == "busy"'
	kill -CONT "$cpid"
	wait "$cpid"
	[ "$(grep -c '"type":"partial"' "$BATS_TEST_TMPDIR/big")" -eq 300000 ]
	assert_equal "$(tail -n 2 "$BATS_TEST_TMPDIR/big" | head -n 1)" "data: [DONE]"
	grep -q '"content":"299999 "' "$BATS_TEST_TMPDIR/big"
}

@test "keepalive pings during a quiet CLI" {
	CC_DAEMON_PING_SECS=1 start_daemon
	local sid
	sid=$(create app)
	run send "$sid" slow
	# slow sleeps 3 s after init: a ping at the start and about three more
	[ "$(grep -c '^{"type":"ping"}$' <<<"$output")" -ge 3 ]
	assert_equal "$(sed '$d' <<<"$output" | jq -r 'select(.type=="text").content')" "Slow response completed"
	assert_equal "${lines[0]}" '{"type":"ping"}'
}

@test "daemon.yaml and DAEMON_BIND choose the address; --bind wins" {
	mkdir -p "$HOME/.codecast"
	printf 'port: 0\nbind: 127.0.0.3\n' >"$HOME/.codecast/daemon.yaml"
	run cc-daemon --port-file "$BATS_TEST_TMPDIR/p"
	assert_failure 1
	assert_output --partial "needs at least one (refusing to start)"
	assert_output --partial "127.0.0.3"
	DAEMON_BIND=127.0.0.4 run cc-daemon --port-file "$BATS_TEST_TMPDIR/p"
	assert_failure 1
	assert_output --partial "127.0.0.4"
	start_daemon -b 127.0.0.1
	rpc health.check | jq -e '.result.ok'
}
