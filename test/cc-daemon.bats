#!/usr/bin/env bats
# cc-daemon: the upstream daemon protocol, driven with curl and jq against a
# daemon on a free loopback port, a temporary HOME, and mock-claude as
# `claude` first on PATH.

load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash
bats_require_minimum_version 1.5.0

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
	AUTH=()
	CURL_OPTS=()	# e.g. --cacert FILE for a daemon serving HTTPS
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
	auth_header
}

# auth_header: AUTH, the curl options that show the owner's token
# (written by the daemon at its first start)
auth_header() {
	AUTH=()
	if [ -f "$HOME/.codecast/daemon.token" ]; then
		AUTH=(-H "Authorization: Bearer $(cat "$HOME/.codecast/daemon.token")")
	fi
}

# rpc METHOD [PARAMS-JSON]: the whole JSON reply body.
rpc() {
	local body
	if [ $# -ge 2 ]; then
		body=$(jq -cn --arg m "$1" --argjson p "$2" '{method:$m,params:$p}')
	else
		body=$(jq -cn --arg m "$1" '{method:$m}')
	fi
	curl -sS -m 20 "${CURL_OPTS[@]}" "${AUTH[@]}" -H 'Content-Type: application/json' -d "$body" "$URL"
}

# send SID MESSAGE: the SSE data payloads, one per line ([DONE] included).
send() {
	local body
	body=$(jq -cn --arg s "$1" --arg m "$2" \
	    '{method:"session.send",params:{sessionId:$s,message:$m}}')
	curl -sS -N -m 180 "${CURL_OPTS[@]}" "${AUTH[@]}" -H 'Content-Type: application/json' -d "$body" "$URL" |
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
	run curl -sS "${AUTH[@]}" -H 'Content-Type: application/json' -d '{"params":{}}' "$URL"
	echo "$output" | jq -e '.error.code == -32600 and .error.message == "Invalid request: missing method" and (has("id") | not)'
	run curl -sS "${AUTH[@]}" -H 'Content-Type: application/json' -d '{"method":"nope.x","id":"7"}' "$URL"
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
	sid=$(create "$HOME" '{"mode":null}')
	rpc session.list | jq -e --arg s "$sid" '.result.sessions[] | select(.sessionId==$s) | .mode == "auto"'
	run rpc session.create '{"path":"nosuch"}'
	echo "$output" | jq -e --arg h "$HOME" '.error.code == -32000 and .error.message == "Path does not exist on remote machine: \($h)/Projects/nosuch (resolved from: nosuch)"'
	run rpc session.create '{}'
	echo "$output" | jq -e '.error.code == -32000 and .error.message == "Missing required param: path"'
	run rpc session.create
	echo "$output" | jq -e '.error.code == -32000 and .error.message == "Missing params"'
}

@test "hardening #3: session.create with an invalid mode is an error, not auto" {
	start_daemon
	local m
	for m in '"Plan"' '"bogus"' '5' '""' '["plan"]'; do
		run rpc session.create "{\"path\":\"app\",\"mode\":$m}"
		echo "$output" | jq -e '.error == {code:-32000,message:"Invalid mode"}' || fail "mode $m: $output"
	done
	rpc session.list | jq -e '.result.sessions == []'
	[ ! -s "$MOCK_CLAUDE_ARGV_JSONL" ]
}

@test "hardening #2: the message, model and session id can never be read as CLI options" {
	local k
	for k in codex gemini opencode; do
		ln -s "$CODECAST_TOP/test/fakes/mock-claude" "$FAKEBIN/$k"
	done
	start_daemon
	local sid msg=--dangerously-skip-permissions
	sid=$(create app '{"mode":"plan"}')
	run send "$sid" "$msg"
	# the CLI saw the message as its prompt and ran without the bypass
	echo "${lines[1]}" | jq -e '.type == "system" and .raw.permissionMode == "default"'
	printf "%s\n" "${lines[@]}" | grep -v "^\[DONE\]$" | jq -se --arg m "Mock response: $msg" 'map(select(.type == "text")) | .[0].content == $m'
	last_argv | jq -e --arg m "$msg" '.[-2:] == ["--",$m] and (map(select(. == $m)) | length) == 1'
	for k in codex opencode; do
		sid=$(create app "{\"mode\":\"plan\",\"cli_type\":\"$k\"}")
		send "$sid" --dangerously-bypass-approvals-and-sandbox >/dev/null
		last_argv | jq -e '.[-2:] == ["--","--dangerously-bypass-approvals-and-sandbox"]'
	done
	sid=$(create app '{"mode":"plan","cli_type":"gemini"}')
	send "$sid" --yolo >/dev/null
	last_argv | jq -e 'index("--prompt=--yolo") == 1 and index("--yolo") == null'
	# model and session ids of the wrong shape are refused
	run rpc session.create '{"path":"app","model":"--dangerously-skip-permissions"}'
	echo "$output" | jq -e '.error == {code:-32000,message:"Invalid model"}'
	run rpc session.set_model "$(jq -cn --arg s "$sid" '{sessionId:$s,model:"-x"}')"
	echo "$output" | jq -e '.error == {code:-32000,message:"Invalid model"}'
	sid=$(create app '{"mode":"plan"}')
	run rpc session.resume "$(jq -cn --arg s "$sid" '{sessionId:$s,sdkSessionId:"--dangerously-skip-permissions"}')"
	echo "$output" | jq -e '.error == {code:-32000,message:"Invalid sdkSessionId"}'
	send "$sid" hi >/dev/null
	last_argv | jq -e 'index("--dangerously-skip-permissions") == null and index("--resume") == null'
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
	run curl -sS "${AUTH[@]}" -N -D "$BATS_TEST_TMPDIR/h" -H 'Content-Type: application/json' -d "$body" "$URL"
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
	    (.[1].session_id | test("^[0-9a-f-]{36}$")) and .[1].raw.type == "system" and
	    (.[2]|del(.seq)) == {type:"partial",content:"hi "} and (.[3]|del(.seq)) == {type:"partial",content:"there "} and
	    (.[4]|del(.seq)) == {type:"text",content:"hi there"} and .[5].session_id == .[1].session_id and
	    .[5].raw.usage.output_tokens == 7 and (.[0] | keys) == ["type"]'
	# a run's first event says where it starts in the session's numbering
	# (the curl above had 1 to 5); the others carry no number
	sed '$d' <<<"$output" | jq -se '[.[1:][] | .seq] == [6,null,null,null,null]'
	run send "$sid" "echo:again"
	sed '$d' <<<"$output" | jq -se '[.[1:][] | .seq] == [11,null,null,null]'
	# the CLI's session id and model are tracked
	rpc session.list | jq -e '.result.sessions[0] | (.sdkSessionId | test("^[0-9a-f-]{36}$")) and .model == "mock-claude-1.0"'
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
	sed '$d' <<<"$output" | jq -se '[.[] | select(.type=="tool_use") | del(.seq)] ==
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
	assert_equal "$(tail -n 2 <<<"$output" | head -n 1 | jq -c 'del(.seq)')" '{"type":"error","message":"Claude process exited abnormally (code=1, signal=null)"}'
	run send "$sid" fail-init
	assert_equal "$(jq -c 'del(.seq)' <<<"${lines[1]}")" '{"type":"error","message":"Claude process exited abnormally (code=2, signal=null)"}'
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
	assert_equal "${lines[1]}" '{"type":"error","message":"Failed to spawn opencode: No such file or directory","seq":1}'
	assert_equal "${lines[2]}" "[DONE]"
	rpc session.list | jq -e '.result.sessions[0].status == "idle"'
}

@test "argv: claude flags per mode, model, resume; cwd, TERM=dumb" {
	start_daemon
	local sid sdk
	sid=$(create app)
	send "$sid" "echo:one" >/dev/null
	assert_equal "$(last_argv)" '["claude","-p","--output-format","stream-json","--include-partial-messages","--verbose","--dangerously-skip-permissions","--","echo:one"]'
	tail -n 1 "$MOCK_CLAUDE_ARGV_JSONL" | jq -e --arg h "$HOME" '.cwd == ($h + "/Projects/app") and .term == "dumb"'
	sdk=$(rpc session.list | jq -r '.result.sessions[0].sdkSessionId')
	# second turn: --resume with the CLI's id; the reported model is kept
	send "$sid" "echo:two" >/dev/null
	assert_equal "$(last_argv)" "[\"claude\",\"-p\",\"--output-format\",\"stream-json\",\"--include-partial-messages\",\"--verbose\",\"--dangerously-skip-permissions\",\"--model\",\"mock-claude-1.0\",\"--resume\",\"$sdk\",\"--\",\"echo:two\"]"
	# set_mode code: no permission flag; set_model: --model
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"code"}')" | jq -e '.result == {ok:true}'
	rpc session.set_model "$(jq -cn --arg s "$sid" '{sessionId:$s,model:"opus-9"}')" | jq -e '.result == {ok:true}'
	send "$sid" "echo:three" >/dev/null
	last_argv | jq -e '(index("--dangerously-skip-permissions") == null) and .[index("--model")+1] == "opus-9"'
	# the CLI echoes --model in its init line
	run send "$sid" "echo:four"
	assert_equal "$(sed -n 2p <<<"$output" | jq -r .model)" opus-9
	# session.resume stores the sdk id to resume
	rpc session.resume "$(jq -cn --arg s "$sid" '{sessionId:$s,sdkSessionId:"0b6c4c52-6a35-4b8e-9c1e-9a0c1f2d3e4f"}')" | jq -e '.result == {ok:true,fallback:false}'
	send "$sid" "echo:five" >/dev/null
	last_argv | jq -e '.[index("--resume")+1] == "0b6c4c52-6a35-4b8e-9c1e-9a0c1f2d3e4f"'
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
	tail -n 1 "$MOCK_CLAUDE_ARGV_JSONL" | jq -e --arg m "echo:$msg" '.argv[-1] == $m and .argv[-2] == "--" and (.argv | length) == 9'
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
	assert_equal "$(last_argv)" "[\"codex\",\"exec\",\"--json\",\"--full-auto\",\"--cd\",\"$cwd\",\"--\",\"do it\"]"
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"plan"}')" >/dev/null
	rpc session.set_model "$(jq -cn --arg s "$sid" '{sessionId:$s,model:"o4"}')" >/dev/null
	rpc session.resume "$(jq -cn --arg s "$sid" '{sessionId:$s,sdkSessionId:"0199a213-81c0-7800-8aa1-bbab2a035a53"}')" >/dev/null
	send "$sid" "do it" >/dev/null
	assert_equal "$(last_argv)" "[\"codex\",\"exec\",\"resume\",\"0199a213-81c0-7800-8aa1-bbab2a035a53\",\"--json\",\"--sandbox\",\"read-only\",\"--model\",\"o4\",\"--cd\",\"$cwd\",\"--\",\"do it\"]"
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"ask"}')" >/dev/null
	send "$sid" "q" >/dev/null
	last_argv | jq -e '.[5:9] == ["--sandbox","read-only","--approval-policy","on-failure"]'

	sid=$(create app '{"cli_type":"gemini","mode":"auto"}')
	send "$sid" "hi" >/dev/null
	last_argv | jq -e '.[0:6] == ["gemini","--prompt=hi","--output-format","stream-json","--approval-mode","yolo"]'
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"code"}')" >/dev/null
	rpc session.resume "$(jq -cn --arg s "$sid" '{sessionId:$s,sdkSessionId:"latest"}')" >/dev/null
	send "$sid" "hi" >/dev/null
	assert_equal "$(last_argv)" '["gemini","--prompt=hi","--output-format","stream-json","--approval-mode","auto_edit","--resume","latest"]'
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"plan"}')" >/dev/null
	send "$sid" "hi" >/dev/null
	last_argv | jq -e '.[4] == "--sandbox" and index("--approval-mode") == null'

	sid=$(create app '{"cli_type":"opencode","model":"x/y"}')
	send "$sid" "go" >/dev/null
	assert_equal "$(last_argv)" '["opencode","run","--format","json","--quiet","--yolo","--model","x/y","--","go"]'
	rpc session.set_mode "$(jq -cn --arg s "$sid" '{sessionId:$s,mode:"plan"}')" >/dev/null
	rpc session.resume "$(jq -cn --arg s "$sid" '{sessionId:$s,sdkSessionId:"ses_1a2B"}')" >/dev/null
	send "$sid" "go" >/dev/null
	assert_equal "$(last_argv)" '["opencode","run","--format","json","--quiet","--agent","plan","--model","x/y","--session","ses_1a2B","--","go"]'
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

@test "queued messages: queued{position}, then each its own reply on its own stream, in order" {
	MOCK_CLAUDE_DELAY=0.05 start_daemon
	local sid
	sid=$(create app)
	send "$sid" "count:20" >"$BATS_TEST_TMPDIR/first" &
	PIDS+=($!)
	for i in $(seq 100); do grep -q system "$BATS_TEST_TMPDIR/first" && break; sleep 0.05; done
	send "$sid" "echo:queued one" >"$BATS_TEST_TMPDIR/one" &
	PIDS+=($!)
	for i in $(seq 100); do grep -q queued "$BATS_TEST_TMPDIR/one" && break; sleep 0.05; done
	send "$sid" "echo:queued two" >"$BATS_TEST_TMPDIR/two" &
	PIDS+=($!)
	for i in $(seq 100); do grep -q queued "$BATS_TEST_TMPDIR/two" && break; sleep 0.05; done
	jq -ce 'select(.type=="queued") | .position == 1' "$BATS_TEST_TMPDIR/one"
	jq -ce 'select(.type=="queued") | .position == 2' "$BATS_TEST_TMPDIR/two"
	rpc session.queue_stats "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.userPending == 2'
	rpc health.check | jq -e '.result.sessionsByStatus == {busy:1}'
	wait_idle "$sid"
	for i in $(seq 100); do [ "$(tail -n 1 "$BATS_TEST_TMPDIR/two")" = "[DONE]" ] && break; sleep 0.05; done
	# the first stream was complete; each queued client got its own reply
	assert_equal "$(sed '$d' "$BATS_TEST_TMPDIR/first" | jq -j 'select(.type=="partial").content')" "$(seq -s ' ' 20) "
	assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/one")" "[DONE]"
	assert_equal "$(sed '$d' "$BATS_TEST_TMPDIR/one" | jq -r 'select(.type=="text").content')" "queued one"
	assert_equal "$(sed '$d' "$BATS_TEST_TMPDIR/two" | jq -r 'select(.type=="text").content')" "queued two"
	# numbered in the order the daemon made them: first < one < two
	f=$(sed '$d' "$BATS_TEST_TMPDIR/first" | jq -s '[.[] | .seq // empty] | max')
	o=$(sed '$d' "$BATS_TEST_TMPDIR/one" | jq -s '[.[] | select(.type!="queued") | .seq // empty] | min')
	t=$(sed '$d' "$BATS_TEST_TMPDIR/two" | jq -s '[.[] | select(.type!="queued") | .seq // empty] | min')
	[ "$f" -lt "$o" ] && [ "$o" -lt "$t" ]
	# and numbered after the first run's 23 events (init, 20 deltas, text, result)
	[ "$o" -gt $((f + 20)) ]
	# nothing was left in the buffer
	rpc session.reconnect "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.bufferedEvents == []'
}

@test "queued messages whose client left: their replies are kept for session.reconnect" {
	MOCK_CLAUDE_DELAY=0.05 start_daemon
	local sid
	sid=$(create app)
	send "$sid" "count:20" >"$BATS_TEST_TMPDIR/first" &
	PIDS+=($!)
	for i in $(seq 100); do grep -q system "$BATS_TEST_TMPDIR/first" && break; sleep 0.05; done
	# upstream's head leaves at the queued event
	run curl -sS "${AUTH[@]}" -N --max-time 1 -H 'Content-Type: application/json' \
	    -d "$(jq -cn --arg s "$sid" '{method:"session.send",params:{sessionId:$s,message:"echo:queued one"}}')" "$URL"
	assert_output --partial '"type":"queued","position":1'
	wait_idle "$sid"
	run rpc session.reconnect "$(jq -cn --arg s "$sid" '{sessionId:$s}')"
	echo "$output" | jq -e '[.result.bufferedEvents[] | select(.type=="text").content] == ["queued one"]'
	rpc session.reconnect "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.bufferedEvents == []'
}

@test "session.reconnect since=N returns every event after N from the history, delivered or not" {
	start_daemon
	local sid
	sid=$(create app)
	run send "$sid" "echo:one two"
	# the first reply: 5 events from 1; the second starts at 6
	last=$(( $(sed '$d' <<<"$output" | jq -s '[.[] | .seq // empty] | min') + 4 ))
	run send "$sid" "echo:three four"
	run rpc session.reconnect "$(jq -cn --arg s "$sid" --argjson n "$last" '{sessionId:$s,since:$n}')"
	echo "$output" | jq -e --argjson n "$last" '.result.bufferedEvents[0].seq == $n + 1 and (.result.bufferedEvents | length) == 5'
	echo "$output" | jq -e '[.result.bufferedEvents[] | select(.type=="text").content] == ["three four"]'
	# since 0: both replies
	run rpc session.reconnect "$(jq -cn --arg s "$sid" '{sessionId:$s,since:0}')"
	echo "$output" | jq -e '[.result.bufferedEvents[] | select(.type=="text").content] == ["one two","three four"]'
}

# A client leaves a 60-event reply after the 10th: what it read plus what
# session.reconnect returns is the whole reply, in order, once.  $@: extra
# curl options (TLS).  Sets LEFT_SID.
leave_mid_stream() {
	local sid body cpid i got
	sid=$(create app)
	body=$(jq -cn --arg s "$sid" '{method:"session.send",params:{sessionId:$s,message:"count:60"}}')
	curl -sS "${AUTH[@]}" -N "$@" -H 'Content-Type: application/json' -d "$body" "$URL" >"$BATS_TEST_TMPDIR/part" &
	cpid=$!
	PIDS+=("$cpid")
	for i in $(seq 200); do grep -q '"content":"10 "' "$BATS_TEST_TMPDIR/part" && break; sleep 0.02; done
	kill "$cpid"
	wait "$cpid" || true
	grep -q '"content":"10 "' "$BATS_TEST_TMPDIR/part"
	! grep -q 'DONE' "$BATS_TEST_TMPDIR/part" || false
	wait_idle "$sid"
	rpc session.queue_stats "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.clientConnected == false and .result.responsePending > 0'
	rpc session.reconnect "$(jq -cn --arg s "$sid" '{sessionId:$s}')" >"$BATS_TEST_TMPDIR/rest"
	jq -e '.result.bufferedEvents[-1].type == "result"' "$BATS_TEST_TMPDIR/rest"
	got="$( { sed -n 's/^data: //p' "$BATS_TEST_TMPDIR/part" | jq -j 'select(.type=="partial").content';
	    jq -j '.result.bufferedEvents[] | select(.type=="partial").content' "$BATS_TEST_TMPDIR/rest"; } )"
	assert_equal "$got" "$(seq -s ' ' 60) "
	LEFT_SID=$sid
}

@test "a client that disconnects mid-stream loses nothing: the rest comes from reconnect" {
	MOCK_CLAUDE_DELAY=0.04 start_daemon
	leave_mid_stream
	rpc session.queue_stats "$(jq -cn --arg s "$LEFT_SID" '{sessionId:$s}')" | jq -e '.result.clientConnected == true and .result.responsePending == 0'
}

@test "interrupting a hanging CLI ends its stream within 6 s; the session takes the next message" {
	start_daemon
	local sid i
	sid=$(create app)
	send "$sid" "hang" >"$BATS_TEST_TMPDIR/hang" &
	local spid=$!
	PIDS+=("$spid")
	for i in $(seq 100); do grep -q 'working' "$BATS_TEST_TMPDIR/hang" && break; sleep 0.05; done
	send "$sid" "echo:queued" >"$BATS_TEST_TMPDIR/queued" &
	PIDS+=($!)
	for i in $(seq 100); do grep -q queued "$BATS_TEST_TMPDIR/queued" && break; sleep 0.05; done
	rpc session.queue_stats "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.userPending == 1'
	local t0=$SECONDS
	rpc session.interrupt "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result == {ok:true,interrupted:true}'
	for i in $(seq 120); do kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$spid" 2>/dev/null || false
	[ $((SECONDS - t0)) -le 6 ]
	assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/hang")" "[DONE]"
	! grep -q '"type":"result"' "$BATS_TEST_TMPDIR/hang" || false
	# the queued message's client was told it will not run
	for i in $(seq 100); do [ "$(tail -n 1 "$BATS_TEST_TMPDIR/queued")" = "[DONE]" ] && break; sleep 0.05; done
	jq -se '[.[] | select(.type=="error")][0].message == "Interrupted before this message ran"' <(sed '$d' "$BATS_TEST_TMPDIR/queued")
	# the queue was cleared: the queued message never ran
	wait_idle "$sid"
	rpc session.queue_stats "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.userPending == 0'
	run send "$sid" "echo:after"
	assert_equal "$(sed '$d' <<<"$output" | jq -r 'select(.type=="text").content')" after
	! grep -q 'echo:queued' "$MOCK_CLAUDE_ARGV_JSONL" || false
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
	run curl -sS "${AUTH[@]}" -m 2 -H 'Content-Type: application/json' \
	    -d "$(jq -cn --arg s "$sid" '{method:"session.destroy",params:{sessionId:$s}}')" "$URL"
	echo "$output" | jq -e '.result == {ok:true}'
	run curl -sS -m 2 -H 'Content-Type: application/json' -d '{"method":"health.check"}' "$URL"
	echo "$output" | jq -e '.result.sessions == 0'
	kill -0 "$cpid"	# still alive: it ignored SIGTERM
	for i in $(seq 160); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$cpid" 2>/dev/null || false
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
	! kill -0 "$cli" 2>/dev/null || false
	[ ! -e "$HOME/.codecast/daemon.port" ]
}

@test "non-loopback bind: refuses to start without tokens; HTTPS; Bearer tokens checked" {
	run cc-daemon -p 0 -b 127.0.0.2 --port-file "$BATS_TEST_TMPDIR/p"
	assert_failure 1
	assert_output --partial "no tokens"
	mkdir -p "$HOME/.codecast"
	printf 'tokens:\n  - token: ccast_%064d\n    label: test\n    created: "2026-01-01T00:00:00"\n' 7 >"$HOME/.codecast/tokens.yaml"
	chmod 600 "$HOME/.codecast/tokens.yaml"
	CC_DAEMON_STRICT_AUTH=1 start_daemon -b 127.0.0.2
	# 127.0.0.2 is not in the loopback-bind list (127.0.0.1, localhost,
	# ::1): auth mode, so HTTPS without being asked.
	grep -q "bound to 127.0.0.2: HTTPS" "$BATS_TEST_TMPDIR/daemon.err"
	local fp cert="$HOME/.codecast/tls-cert.pem" tok="ccast_$(printf '%064d' 7)"
	fp=$(sed -n 's/^cc-daemon: tls: \(sha256:[0-9a-f]\{64\}\)$/\1/p' "$BATS_TEST_TMPDIR/daemon.err")
	[ -n "$fp" ]
	URL="https://127.0.0.2:$PORT/rpc"
	# The generated certificate names the bind address too.
	openssl x509 -in "$cert" -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.2'
	run curl -sS -w ' %{http_code}' --cacert "$cert" -H 'Content-Type: application/json' -d '{"method":"health.check"}' "$URL"
	assert_output "Unauthorized: missing Bearer token 401"
	run curl -sS -w ' %{http_code}' --cacert "$cert" -H 'Authorization: Bearer ccast_nope' -H 'Content-Type: application/json' -d '{"method":"health.check"}' "$URL"
	assert_output "Unauthorized: invalid token 401"
	run curl -sS --cacert "$cert" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d '{"method":"health.check"}' "$URL"
	echo "$output" | jq -e '.result.ok == true'
	# Plain HTTP gets nothing, and the token is not accepted in clear text.
	run curl -sS -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d '{"method":"health.check"}' "http://127.0.0.2:$PORT/rpc"
	assert_failure
	refute_output --partial '"ok"'
	# cc-rpc with the pin and the token; without the token, 401.
	run --separate-stderr cc-rpc --token "$tok" --fingerprint "$fp" "https://127.0.0.2:$PORT" health.check
	assert_success
	echo "$output" | jq -e '.ok == true'
	# (another user's HOME: no cached owner token for this port)
	HOME="$BATS_TEST_TMPDIR/other" run --separate-stderr cc-rpc --fingerprint "$fp" "https://127.0.0.2:$PORT" health.check
	assert_failure
	[[ "$stderr" == *401* || "$stderr" == *Unauthorized* ]]
	# the head's way: the peer's token and tls_fingerprint in codecast.yaml
	cat >"$HOME/.codecast/config.yaml" <<-YAML
	peers:
	  lab:
	    transport: http
	    address: 127.0.0.2:$PORT
	    token: $tok
	    tls_fingerprint: $fp
	YAML
	run --separate-stderr cc-rpc --peer lab "https://127.0.0.2:$PORT" health.check
	assert_success
	echo "$output" | jq -e --argjson pid "$DPID" '.ok == true and .pid == $pid'
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
	curl -sS "${AUTH[@]}" -N -H 'Content-Type: application/json' -d "$body" "$URL" >"$BATS_TEST_TMPDIR/big" &
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

# ------------------------------------------------------------------ tls

# start_tls_daemon [ARGS...]: start_daemon with --tls on 127.0.0.1; sets FP
# (the fingerprint printed on stderr), URL (https) and CURL_OPTS.
start_tls_daemon() {
	start_daemon --tls "$@"
	# cc-daemon-static says so under its own name
	FP=$(sed -n 's/^cc-daemon\(-static\)\{0,1\}: tls: \(sha256:[0-9a-f]\{64\}\)$/\2/p' "$BATS_TEST_TMPDIR/daemon.err")
	[ -n "$FP" ] || { cat "$BATS_TEST_TMPDIR/daemon.err" >&2; return 1; }
	URL="https://127.0.0.1:$PORT/rpc"
	CURL_OPTS=(--cacert "$HOME/.codecast/tls-cert.pem")
}

@test "tls: --tls on loopback: pinned, unpinned (3), wrong pin (3), --cacert, curl" {
	start_tls_daemon
	local cert="$HOME/.codecast/tls-cert.pem" der
	# the fingerprint is the SHA-256 of the DER certificate, printed once
	der=$(openssl x509 -in "$cert" -outform DER | sha256sum | cut -d' ' -f1)
	assert_equal "$FP" "sha256:$der"
	assert_equal "$(grep -c 'tls: sha256:' "$BATS_TEST_TMPDIR/daemon.err")" 1
	assert_equal "$(cat "$HOME/.codecast/daemon.fingerprint")" "$FP"
	assert_equal "$(stat -c %a "$HOME/.codecast/daemon.fingerprint")" 600
	run --separate-stderr cc-rpc --fingerprint "$FP" "https://127.0.0.1:$PORT" health.check
	assert_success
	echo "$output" | jq -e --argjson pid "$DPID" '.ok == true and .pid == $pid'
	# no pin: a self-signed certificate is not trusted
	run --separate-stderr cc-rpc "https://127.0.0.1:$PORT" health.check
	assert_equal "$status" 3
	assert_output ""
	local wrong
	wrong=sha256:$(printf '%064d' 0)
	run --separate-stderr cc-rpc --fingerprint "$wrong" "https://127.0.0.1:$PORT" health.check
	assert_equal "$status" 3
	assert_equal "$stderr" "cc-rpc: health.check: TLS certificate $FP does not match the pinned $wrong"
	# the certificate as its own CA: chain and SAN (127.0.0.1, localhost)
	run --separate-stderr cc-rpc --cacert "$cert" "https://127.0.0.1:$PORT" health.check
	assert_success
	echo "$output" | jq -e '.ok == true'
	run --separate-stderr cc-rpc --cacert "$cert" "https://localhost:$PORT" health.check
	assert_success
	# a second, independent client
	run curl -sS --cacert "$cert" -H 'Content-Type: application/json' -d '{"method":"health.check"}' "https://127.0.0.1:$PORT/rpc"
	assert_success
	echo "$output" | jq -e '.result.ok == true'
	run curl -sS -H 'Content-Type: application/json' -d '{"method":"health.check"}' "https://127.0.0.1:$PORT/rpc"
	assert_failure 60	# curl: peer certificate cannot be authenticated
	# TLS 1.2 is the floor
	run curl -sS --cacert "$cert" --tls-max 1.1 -H 'Content-Type: application/json' -d '{"method":"health.check"}' "https://127.0.0.1:$PORT/rpc"
	assert_failure
	run curl -sS --cacert "$cert" --tlsv1.2 --tls-max 1.2 -H 'Content-Type: application/json' -d '{"method":"health.check"}' "https://127.0.0.1:$PORT/rpc"
	assert_success
	echo "$output" | jq -e '.result.ok == true'
}

@test "tls: session.send streams arrive complete and in order (curl and cc-rpc)" {
	start_tls_daemon
	local sid i
	sid=$(create app)
	run send "$sid" "echo:over tls"
	assert_equal "$(sed '$d' <<<"$output" | jq -r .type | tr '\n' ' ')" "ping system partial partial text result "
	assert_equal "$(sed '$d' <<<"$output" | jq -r 'select(.type=="text").content')" "over tls"
	assert_equal "$(tail -n 1 <<<"$output")" "[DONE]"
	# a long stream: 3000 partials, each once and in order
	run send "$sid" "count:3000"
	assert_equal "$(tail -n 1 <<<"$output")" "[DONE]"
	assert_equal "$(sed '$d' <<<"$output" | jq -j 'select(.type=="partial").content')" "$(seq -s ' ' 3000) "
	# a >100 KiB event
	run send "$sid" huge
	sed '$d' <<<"$output" | jq -se '([.[] | select(.type=="partial")][0].content | utf8bytelength) > 102400 and .[-1].type == "result"'
	# cc-rpc, pinned, for the same stream
	run --separate-stderr cc-rpc --fingerprint "$FP" "https://127.0.0.1:$PORT" session.send sessionId="$sid" message=count:500
	assert_success
	assert_equal "$(jq -j 'select(.type=="partial").content' <<<"$output")" "$(seq -s ' ' 500) "
	assert_equal "$(jq -r .type <<<"$output" | tail -n 1)" result
	# several at once
	local sids=() pids=()
	for i in $(seq 0 7); do sids+=("$(create app)"); done
	for i in $(seq 0 7); do
		send "${sids[$i]}" "count:$((200 + i))" >"$BATS_TEST_TMPDIR/s$i" &
		pids+=($!)
	done
	PIDS+=("${pids[@]}")
	for i in "${pids[@]}"; do wait "$i"; done
	for i in $(seq 0 7); do
		# (a rare cut here once in a full parallel run: say what the
		# daemon said, and whether it is still there)
		[ "$(tail -n 1 "$BATS_TEST_TMPDIR/s$i")" = "[DONE]" ] || {
			echo "stream $i cut; the daemon is $(kill -0 "$DPID" 2>/dev/null && echo alive || echo gone); its log:"
			tail -n 30 "$BATS_TEST_TMPDIR/daemon.err"
		}
		assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/s$i")" "[DONE]"
		assert_equal "$(sed '$d' "$BATS_TEST_TMPDIR/s$i" | jq -j 'select(.type=="partial").content')" "$(seq -s ' ' $((200 + i))) "
	done
}

@test "tls: plain HTTP, garbage and a silent client fail alone; the daemon keeps serving" {
	start_tls_daemon
	run curl -sS -m 5 -H 'Content-Type: application/json' -d '{"method":"health.check"}' "http://127.0.0.1:$PORT/rpc"
	assert_failure
	refute_output --partial '"ok"'
	# a client that connects and says nothing does not block others
	exec 7<>"/dev/tcp/127.0.0.1/$PORT"
	printf '\x16\x03\x01\xff\xff garbage\r\n\r\n' | timeout 5 nc -q 1 127.0.0.1 "$PORT" >/dev/null || true
	rpc health.check | jq -e '.result.ok == true'
	local sid
	sid=$(create app)
	run send "$sid" "echo:still here"
	assert_equal "$(sed '$d' <<<"$output" | jq -r 'select(.type=="text").content')" "still here"
	exec 7>&-
	kill -0 "$DPID"
	kill -TERM "$DPID"
	wait "$DPID"
}

@test "tls: the pair is generated once (0600, 0700 dir) and reused; --fingerprint" {
	run --separate-stderr cc-daemon --fingerprint
	assert_success
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	local fp=$output cert="$HOME/.codecast/tls-cert.pem" key="$HOME/.codecast/tls-key.pem"
	assert_equal "$stderr" "cc-daemon: tls: generated a self-signed certificate: $cert"
	assert_equal "$(stat -c %a "$HOME/.codecast")" 700
	assert_equal "$(stat -c %a "$cert")" 600
	assert_equal "$(stat -c %a "$key")" 600
	# no temporary files left behind
	assert_equal "$(ls "$HOME/.codecast" | tr '\n' ' ')" "tls-cert.pem tls-key.pem "
	# what was asked for: EC P-256, v3, ~10 years, SANs, matching key
	openssl x509 -in "$cert" -noout -text >"$BATS_TEST_TMPDIR/text"
	grep -q 'Version: 3' "$BATS_TEST_TMPDIR/text"
	grep -q 'NIST CURVE: P-256' "$BATS_TEST_TMPDIR/text"
	grep -q 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1$' "$BATS_TEST_TMPDIR/text"
	openssl x509 -in "$cert" -noout -checkend $((3649 * 86400)) >/dev/null
	! openssl x509 -in "$cert" -noout -checkend $((3651 * 86400)) >/dev/null || false
	assert_equal "$(openssl pkey -in "$key" -pubout)" "$(openssl x509 -in "$cert" -noout -pubkey)"
	# reused: by a daemon, by a restart, by --fingerprint
	start_tls_daemon
	assert_equal "$FP" "$fp"
	! grep -q generated "$BATS_TEST_TMPDIR/daemon.err" || false
	kill -TERM "$DPID"
	wait "$DPID"
	start_tls_daemon
	assert_equal "$FP" "$fp"
	kill -TERM "$DPID"
	wait "$DPID"
	run --separate-stderr cc-daemon --fingerprint
	assert_success
	assert_equal "$output" "$fp"
	assert_equal "$stderr" ""
	# another HOME gets another pair (random key and serial)
	run env HOME="$BATS_TEST_TMPDIR/home2" cc-daemon --fingerprint
	assert_success
	[ "${lines[-1]}" != "$fp" ]
}

@test "tls: a key that does not match its certificate is refused (exit 1, one line)" {
	local a="$BATS_TEST_TMPDIR/a" b="$BATS_TEST_TMPDIR/b"
	mkdir -p "$a" "$b"
	cc-daemon --fingerprint --tls-cert "$a/cert.pem" --tls-key "$a/key.pem" 2>/dev/null
	cc-daemon --fingerprint --tls-cert "$b/cert.pem" --tls-key "$b/key.pem" 2>/dev/null
	run --separate-stderr cc-daemon -p 0 --tls --port-file "$BATS_TEST_TMPDIR/p" --tls-cert "$a/cert.pem" --tls-key "$b/key.pem"
	assert_equal "$status" 1
	assert_output ""
	assert_equal "$stderr" "cc-daemon: tls: $b/key.pem does not match the certificate $a/cert.pem"
	[ ! -e "$BATS_TEST_TMPDIR/p" ]
	run --separate-stderr cc-daemon --fingerprint --tls-cert "$a/cert.pem" --tls-key "$b/key.pem"
	assert_equal "$status" 1
	assert_equal "$stderr" "cc-daemon: tls: $b/key.pem does not match the certificate $a/cert.pem"
	# half a pair is refused, never silently replaced
	rm "$b/key.pem"
	run --separate-stderr cc-daemon -p 0 --tls --port-file "$BATS_TEST_TMPDIR/p" --tls-cert "$b/cert.pem" --tls-key "$b/key.pem"
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$stderr" "cc-daemon: tls: $b/key.pem: no such file, but the certificate $b/cert.pem exists (remove it to generate a new pair)"
	# not a certificate at all
	echo nonsense >"$b/cert.pem"
	cp "$a/key.pem" "$b/key.pem"
	run --separate-stderr cc-daemon -p 0 --tls --port-file "$BATS_TEST_TMPDIR/p" --tls-cert "$b/cert.pem" --tls-key "$b/key.pem"
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	# the options go together
	run cc-daemon --tls --tls-cert "$a/cert.pem"
	assert_failure 2
	# the given pair is used: its fingerprint is printed
	start_daemon --tls --tls-cert "$a/cert.pem" --tls-key "$a/key.pem"
	grep -q "^cc-daemon: tls: $(cc-daemon --fingerprint --tls-cert "$a/cert.pem" --tls-key "$a/key.pem")\$" "$BATS_TEST_TMPDIR/daemon.err"
	[ ! -e "$HOME/.codecast/tls-cert.pem" ]
}

@test "tls: daemon.yaml tls: true, tls_cert and tls_key; bad values refused" {
	mkdir -p "$HOME/.codecast" "$HOME/pki"
	cc-daemon --fingerprint --tls-cert "$HOME/pki/c.pem" --tls-key "$HOME/pki/k.pem" >"$BATS_TEST_TMPDIR/fp" 2>/dev/null
	printf 'tls: true\ntls_cert: ~/pki/c.pem\ntls_key: ~/pki/k.pem\n' >"$HOME/.codecast/daemon.yaml"
	start_tls_daemon
	assert_equal "$FP" "$(cat "$BATS_TEST_TMPDIR/fp")"
	CURL_OPTS=(--cacert "$HOME/pki/c.pem")
	rpc health.check | jq -e '.result.ok == true'
	[ ! -e "$HOME/.codecast/tls-cert.pem" ]
	kill -TERM "$DPID"
	wait "$DPID"
	# tls: true alone turns HTTPS on with the default pair
	printf 'tls: yes\n' >"$HOME/.codecast/daemon.yaml"
	start_daemon
	URL="https://127.0.0.1:$PORT/rpc"
	CURL_OPTS=(--cacert "$HOME/.codecast/tls-cert.pem")
	rpc health.check | jq -e '.result.ok == true'
	kill -TERM "$DPID"
	wait "$DPID"
	# plain HTTP stays the default on loopback
	printf 'tls: false\n' >"$HOME/.codecast/daemon.yaml"
	start_daemon
	URL="http://127.0.0.1:$PORT/rpc"
	CURL_OPTS=()
	rpc health.check | jq -e '.result.ok == true'
	! grep -q 'tls:' "$BATS_TEST_TMPDIR/daemon.err" || false
	kill -TERM "$DPID"
	wait "$DPID"
	printf 'tls: maybe\n' >"$HOME/.codecast/daemon.yaml"
	run cc-daemon -p 0 --port-file "$BATS_TEST_TMPDIR/p"
	assert_failure 1
	assert_output "cc-daemon: $HOME/.codecast/daemon.yaml: tls: not a boolean: maybe"
	printf 'tls_cert: /x.pem\n' >"$HOME/.codecast/daemon.yaml"
	run cc-daemon -p 0 --port-file "$BATS_TEST_TMPDIR/p"
	assert_failure 1
	assert_output "cc-daemon: $HOME/.codecast/daemon.yaml: tls_cert and tls_key go together"
}

@test "static binary: HTTPS health.check and one send" {
	[ -x "$CC_BIN/cc-daemon-static" ] || skip "run 'make static' first"
	file "$CC_BIN/cc-daemon-static" | grep -q 'statically linked'
	DAEMON="$CC_BIN/cc-daemon-static"
	start_tls_daemon
	run --separate-stderr cc-rpc --fingerprint "$FP" "https://127.0.0.1:$PORT" health.check
	assert_success
	echo "$output" | jq -e '.ok == true and .version == "0.1.0"'
	local sid
	sid=$(create app)
	run send "$sid" "echo:static tls ok"
	assert_equal "$(sed '$d' <<<"$output" | jq -r 'select(.type=="text").content')" "static tls ok"
	run curl -sS -m 5 -H 'Content-Type: application/json' -d '{"method":"health.check"}' "http://127.0.0.1:$PORT/rpc"
	assert_failure
	rpc health.check | jq -e '.result.ok == true'
}

@test "tls: a client that leaves mid-stream loses nothing: the rest comes from reconnect" {
	MOCK_CLAUDE_DELAY=0.04 start_tls_daemon
	leave_mid_stream "${CURL_OPTS[@]}"
}

@test "tls: valgrind: a health check and a send over TLS leave no leak and no error" {
	[ "${SANITIZE:-}" != 1 ] || skip "valgrind cannot run sanitized binaries"
	local out="$BATS_TEST_TMPDIR/daemon.out" vlog="$BATS_TEST_TMPDIR/vg.log" i sid
	valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
	    --error-exitcode=99 --log-file="$vlog" \
	    cc-daemon -p 0 --tls >"$out" 2>"$BATS_TEST_TMPDIR/daemon.err" &
	DPID=$!
	PIDS+=("$DPID")
	for i in $(seq 300); do grep -q '^DAEMON_PORT=' "$out" && break; sleep 0.05; done
	PORT=$(sed -n 's/^DAEMON_PORT=//p' "$out")
	[ -n "$PORT" ]
	FP=$(cat "$HOME/.codecast/daemon.fingerprint")
	run --separate-stderr cc-rpc --fingerprint "$FP" "https://127.0.0.1:$PORT" health.check
	assert_success
	echo "$output" | jq -e '.ok == true'
	sid=$(cc-rpc --fingerprint "$FP" "https://127.0.0.1:$PORT" session.create path=app | jq -r .sessionId)
	run --separate-stderr cc-rpc --fingerprint "$FP" "https://127.0.0.1:$PORT" session.send sessionId="$sid" message=echo:vg
	assert_success
	assert_equal "$(jq -r 'select(.type=="text").content' <<<"$output")" vg
	curl -sS -m 5 "http://127.0.0.1:$PORT/rpc" -d x || true
	kill -TERM "$DPID"
	local st=0
	wait "$DPID" || st=$?
	cat "$vlog"
	assert_equal "$st" 0
	grep -q 'ERROR SUMMARY: 0 errors' "$vlog"
}

@test "tls: processes generating at once agree on one pair" {
	local i pids=() st=0
	for i in $(seq 8); do
		cc-daemon --fingerprint >"$BATS_TEST_TMPDIR/fp$i" 2>"$BATS_TEST_TMPDIR/err$i" &
		pids+=($!)
	done
	cc-daemon -p 0 --tls --port-file "$BATS_TEST_TMPDIR/p" >"$BATS_TEST_TMPDIR/daemon.out" 2>"$BATS_TEST_TMPDIR/daemon.err" &
	DPID=$!
	PIDS+=("$DPID")
	for i in "${pids[@]}"; do wait "$i" || st=$?; done
	assert_equal "$st" 0
	for i in $(seq 100); do grep -q '^DAEMON_PORT=' "$BATS_TEST_TMPDIR/daemon.out" && break; sleep 0.05; done
	grep -q '^DAEMON_PORT=' "$BATS_TEST_TMPDIR/daemon.out"
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/fp* | sort -u | wc -l)" 1
	grep -q "^cc-daemon: tls: $(cat "$BATS_TEST_TMPDIR/fp1")\$" "$BATS_TEST_TMPDIR/daemon.err"
	# exactly one of them generated it
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/err* "$BATS_TEST_TMPDIR/daemon.err" | grep -c generated)" 1
	assert_equal "$(ls "$HOME/.codecast" | grep -c tmp)" 0
}

@test "hardening #1: idle, half-header, half-body and idle keep-alive connections are closed in bounded time" {
	mkdir -p "$HOME/.codecast"
	# daemon.yaml, so that an older daemon runs the same test
	printf 'request_timeout: 1\nidle_timeout: 2\n' >"$HOME/.codecast/daemon.yaml"
	start_daemon
	local m
	for m in none header body; do
		run hold-conns "$PORT" 5 "$m" 6
		assert_output --regexp '^opened 5 closed 5 max_close_s (1|2)\.[0-9]$'
	done
	# a keep-alive connection that got its reply has idle_timeout
	run hold-conns "$PORT" 2 keep 6
	assert_output --regexp '^opened 2 closed 2 max_close_s (2|3)\.[0-9]$'
	# a slow request is bounded as a whole, not per byte
	python3 - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.monotonic()
for ch in b"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100:
    try:
        s.send(bytes([ch]))
    except OSError:
        break
    time.sleep(0.3)
    if time.monotonic() - t0 > 8:
        sys.exit("a byte every 0.3 s kept the connection for 8 s")
print("closed after %.1f s" % (time.monotonic() - t0))
PY
	rpc health.check | jq -e '.result.ok == true'
}

@test "hardening #1: 200 half-sent requests under prlimit --nofile=128: a valid request is answered, stderr stays small" {
	command -v prlimit >/dev/null || skip "no prlimit"
	mkdir -p "$HOME/.codecast"
	printf 'request_timeout: 3\n' >"$HOME/.codecast/daemon.yaml"
	local out="$BATS_TEST_TMPDIR/daemon.out" err="$BATS_TEST_TMPDIR/daemon.err" i hp t0 t1 cpu
	: >"$out"
	prlimit --nofile=128:128 "$(command -v cc-daemon)" -p 0 >"$out" 2>"$err" &
	DPID=$!
	PIDS+=("$DPID")
	for i in $(seq 100); do grep -q '^DAEMON_PORT=' "$out" && break; sleep 0.05; done
	PORT=$(sed -n 's/^DAEMON_PORT=//p' "$out")
	URL="http://127.0.0.1:$PORT/rpc"
	hold-conns "$PORT" 200 header 15 >"$BATS_TEST_TMPDIR/hold" &
	hp=$!
	PIDS+=("$hp")
	sleep 1.5
	t0=$(date +%s%N)
	run curl -sS -m 10 -H 'Content-Type: application/json' -d '{"method":"health.check"}' "$URL"
	t1=$(date +%s%N)
	echo "$output" | jq -e '.result.ok == true'
	echo "answered in $(( (t1 - t0) / 1000000 )) ms"
	sleep 2
	# the daemon did not spin: CPU time well under the wall time
	cpu=$(awk '{print $14 + $15}' "/proc/$DPID/stat")
	echo "daemon CPU ${cpu} ticks; stderr $(stat -c %s "$err") bytes"
	[ "$cpu" -lt 200 ]
	[ "$(stat -c %s "$err")" -lt 1000000 ]
	kill "$hp" 2>/dev/null || true
	# accept(2) failures (descriptors taken by CLI runs) pause the listener
	# and are logged once per pause, not in a loop
	kill -TERM "$DPID"
	wait "$DPID" || true
	: >"$err"
	prlimit --nofile=40:40 "$(command -v cc-daemon)" -p 0 >"$out" 2>"$err" &
	DPID=$!
	PIDS+=("$DPID")
	for i in $(seq 100); do grep -q "^DAEMON_PORT=" "$out" && [ "$(sed -n 's/^DAEMON_PORT=//p' "$out")" != "$PORT" ] && break; sleep 0.05; done
	PORT=$(sed -n 's/^DAEMON_PORT=//p' "$out")
	URL="http://127.0.0.1:$PORT/rpc"
	auth_header
	local sid n=0
	for i in $(seq 20); do
		sid=$(create app 2>/dev/null) || break
		curl -sS "${AUTH[@]}" -m 1 -H 'Content-Type: application/json' \
		    -d "$(jq -cn --arg s "$sid" '{method:"session.send",params:{sessionId:$s,message:"hang"}}')" "$URL" >/dev/null 2>&1 || true
		n=$i
	done
	echo "sessions with a hanging CLI: $n"
	# descriptors are nearly gone: more connections make accept(2) fail
	hold-conns "$PORT" 10 none 4
	echo "stderr: $(stat -c %s "$err") bytes, $(grep -c 'accept' "$err") accept lines"
	grep -q 'accept: Too many open files; no new connections for 1000 ms' "$err"
	[ "$(stat -c %s "$err")" -lt 100000 ]
	[ "$(grep -c 'accept' "$err")" -le 6 ]
	# the CLIs go: the daemon accepts again
	for i in $(pgrep -P "$DPID"); do kill "$i" 2>/dev/null || true; done
	for i in $(seq 50); do rpc health.check 2>/dev/null | jq -e '.result.ok == true' >/dev/null && break; sleep 0.2; done
	rpc health.check | jq -e '.result.ok == true'
}

@test "hardening #5: the disconnect buffer is capped (replay_max); one truncated event says how many were dropped" {
	mkdir -p "$HOME/.codecast"
	printf 'replay_max: 1048576\n' >"$HOME/.codecast/daemon.yaml"
	start_daemon
	local sid rss
	sid=$(create app)
	# the client leaves at once; 80 MiB of output follow with nobody there
	curl -sS "${AUTH[@]}" -m 5 -H 'Content-Type: application/json' \
	    -d "$(jq -cn --arg s "$sid" '{method:"session.send",params:{sessionId:$s,message:"flood:80"}}')" "$URL" 2>/dev/null |
	    head -c 100 >/dev/null || true
	wait_idle "$sid"
	rss=$(rpc health.check | jq .result.memory.rss)
	echo "rss ${rss} MiB"
	# (AddressSanitizer's shadow memory and quarantine make RSS meaningless)
	[ "${SANITIZE:-}" = 1 ] || [ "$rss" -lt 24 ]
	rpc session.queue_stats "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.responsePending < 40'
	rpc session.reconnect "$(jq -cn --arg s "$sid" '{sessionId:$s}')" >"$BATS_TEST_TMPDIR/re"
	jq -e '.result.bufferedEvents as $e | ($e[0].type == "truncated") and ($e[0].dropped > 0) and
	    ($e | map(select(.type == "truncated")) | length) == 1 and
	    ($e[-1].type == "result") and ($e | tostring | length) < 1100000' "$BATS_TEST_TMPDIR/re"  || { jq -c ".result.bufferedEvents | [.[0], length, (tostring|length), .[-1].type]" "$BATS_TEST_TMPDIR/re"; false; }
	# drained: the next reconnect is empty, no second truncated event
	rpc session.reconnect "$(jq -cn --arg s "$sid" '{sessionId:$s}')" | jq -e '.result.bufferedEvents == []'
}

@test "hardening #4: another local user is refused on the peer; the owner's tools need no option; Host is checked" {
	command -v runuser >/dev/null || skip "no runuser"
	[ "$(id -u)" = 0 ] || skip "runuser -u nobody needs root"
	start_daemon
	local body='{"method":"session.create","params":{"path":"/tmp"}}'
	# another user on the same machine: no session, no CLI
	run runuser -u nobody -- curl -sS -w ' %{http_code}' -H 'Content-Type: application/json' -d "$body" "$URL"
	assert_output "Unauthorized: missing Bearer token 401"
	run runuser -u nobody -- curl -sS -w ' %{http_code}' -H 'Authorization: Bearer 0000' -H 'Content-Type: application/json' -d "$body" "$URL"
	assert_output "Unauthorized: invalid token 401"
	# health.check stays open to loopback clients (a liveness probe)
	runuser -u nobody -- curl -sS -H 'Content-Type: application/json' -d '{"method":"health.check"}' "$URL" | jq -e '.result.ok == true'
	rpc session.list | jq -e '.result.sessions == []'
	# the owner's token: created 0600 at the first start
	[ "$(stat -c %a "$HOME/.codecast/daemon.token")" = 600 ]
	[[ "$(cat "$HOME/.codecast/daemon.token")" =~ ^[0-9a-f]{64}$ ]]
	# the owner: cc-rpc finds the token from the port, no option
	run --separate-stderr cc-rpc "$PORT" session.create path=/tmp
	assert_success
	echo "$output" | jq -e '.sessionId | length == 36'
	# DNS rebinding: a page's own name that resolves to 127.0.0.1
	run curl -sS -w ' %{http_code}' "${AUTH[@]}" -H 'Host: evil.example:80' -H 'Content-Type: application/json' -d '{"method":"health.check"}' "$URL"
	assert_output "Forbidden: Host is not a loopback name or the bind address 403"
	run curl -sS "${AUTH[@]}" -H "Host: localhost:$PORT" -H 'Content-Type: application/json' -d '{"method":"health.check"}' "$URL"
	echo "$output" | jq -e '.result.ok == true'
	# a token file others can read is refused at start
	kill -TERM "$DPID"
	wait "$DPID" || true
	chmod 644 "$HOME/.codecast/daemon.token"
	run cc-daemon -p 0 --port-file "$BATS_TEST_TMPDIR/p"
	assert_failure 1
	assert_output "cc-daemon: $HOME/.codecast/daemon.token: mode 0644 lets others read the token (chmod 600 $HOME/.codecast/daemon.token)"
}

@test "hardening #10: client strings are escaped in the log; a world-readable tokens.yaml is warned about" {
	start_daemon -v
	local m=$'x\ncc-daemon: forged line\e[31m\\'
	rpc "$m" >/dev/null
	rpc session.create "$(jq -cn '{path:"app",cli_type:"a\nb"}')" >/dev/null
	kill -TERM "$DPID"
	wait "$DPID" || true
	cat "$BATS_TEST_TMPDIR/daemon.err"
	! grep -q '^cc-daemon: forged line' "$BATS_TEST_TMPDIR/daemon.err" || false
	grep -qF 'cc-daemon: rpc x\x0acc-daemon: forged line\x1b[31m\\' "$BATS_TEST_TMPDIR/daemon.err"
	grep -qF ': created (a\x0ab)' "$BATS_TEST_TMPDIR/daemon.err"
	! grep -q $'\e' "$BATS_TEST_TMPDIR/daemon.err" || false
	# tokens.yaml readable by others: the daemon says so at start
	printf 'tokens:\n  - token: ccast_%064d\n' 7 >"$HOME/.codecast/tokens.yaml"
	chmod 644 "$HOME/.codecast/tokens.yaml"
	start_daemon -b 127.0.0.2
	grep -qF "cc-daemon: $HOME/.codecast/tokens.yaml: mode 0644 lets other users read the tokens (chmod 600 $HOME/.codecast/tokens.yaml)" "$BATS_TEST_TMPDIR/daemon.err"
}

@test "hardening #10: HTTPS keep-alive requests do not wait for delayed ACKs (TCP_NODELAY)" {
	start_daemon --tls
	python3 - "$PORT" "$HOME/.codecast/tls-cert.pem" <<'PY'
import http.client, ssl, statistics, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.check_hostname = False
c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx)
body = b'{"method":"health.check"}'
t = []
for i in range(30):
    t0 = time.monotonic()
    c.request("POST", "/rpc", body, {"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    t.append((time.monotonic() - t0) * 1000)
med = statistics.median(t[5:])
print("median %.2f ms" % med)
sys.exit(0 if med < 15 else 1)
PY
}
