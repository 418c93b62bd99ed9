#!/usr/bin/env bats
# cc-engine driven as a chat would drive it (test-bridge), against a real
# cc-daemon running the mock CLI on a local peer.

load lib/common.bash
load lib/engine.bash

setup() {
	engine_setup </dev/null
}

teardown() {
	engine_teardown
}

@test "hello is answered with the command list; /help and /HELP list the commands" {
	bridge <<-'EOF'
	say test:1 /help
	wait Codecast Commands
	say test:1 /HELP
	waitcount Codecast.Commands 2
	say test:1    
	idle 0.5
	EOF
	assert_success
	run jq -r 'select(.op=="commands").list[].name' actions.ndjson
	assert_line start
	assert_line add-machine
	assert_line tool-display
	run jq -r 'select(.op=="commands").list[] | select(.name=="start") | .args' actions.ndjson
	assert_output --partial '<peer>'
	run sent_texts
	assert_output --partial '/rename'
	assert_output --partial '/add-peer'
	assert_output --partial '/remove-peer'
	# the empty message gave nothing: two helps, nothing else
	run jq -s '[.[] | select(.op=="send")] | length' actions.ndjson
	assert_output 2
}

@test "without a session: /status, /exit, text and an unknown command say so" {
	bridge <<-'EOF'
	say test:1 /status
	wait No active session\.
	say test:1 /exit
	wait No active session to exit
	say test:1 hello there
	wait No active session\. Use `/start <machine> <path>` to begin
	say test:1 /FooBar x
	wait Unknown command: `/foobar`
	say test:1 /mode plan
	wait No active session
	say test:1 /rename my-project
	waitcount No.active.session 5
	EOF
	assert_success
}

@test "usage lines: /start, /rm, /rename, /mode, /resume, /ls, /model" {
	bridge <<-'EOF'
	say test:1 /start
	wait Usage: `/start <peer>
	say test:1 /start local
	waitcount Usage:.`/start 2
	say test:1 /start local --codex
	waitcount Usage:.`/start 3
	say test:1 /start local app --cli
	wait Missing value for `--cli`
	say test:1 /start local app --cli cobol
	wait Unknown CLI type: \*\*cobol\*\*
	say test:1 /start nowhere app
	wait Unknown peer: \*\*nowhere\*\*
	say test:1 /rm
	wait Usage: `/rm <peer> <path>`
	say test:1 /rename
	wait Usage: `/rename <new_name>`
	say test:1 /mode
	wait Usage: `/mode.*auto.*code
	say test:1 /mode sideways
	wait Invalid mode
	say test:1 /resume
	wait Usage: `/resume
	say test:1 /resume no-such-thing
	wait Session `no-such-thing` not found in records
	say test:1 /ls
	wait Usage:.*/ls machine
	say test:1 /ls foobar
	wait Usage: `/ls machine` or
	say test:1 /rename INVALID
	wait Invalid name
	say test:1 /tool-display sideways
	wait Invalid tool display mode
	EOF
	assert_success
	# no session was created by any of it
	run cc-session list
	assert_output ""
}

@test "/start makes a session: card, registry row with the live display, the daemon's session" {
	bridge <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	EOF
	assert_success
	run sent_texts
	assert_line --partial 'Starting session on **local**:`~/Projects/app`'
	assert_output --partial '**Peer:** local'
	assert_output --partial '**Path:** `~/Projects/app`'
	assert_output --partial '**Mode:** bypass'
	run cc-session resolve test:1
	assert_success
	sid=$(jq -r .daemon_session_id <<<"$output")
	name=$(jq -r .name <<<"$output")
	[ "$(jq -r .tool_display <<<"$output")" = live ]
	[ "$(jq -r .path <<<"$output")" = "~/Projects/app" ]
	grep -qF "**Name:** $name" view.txt
	grep -qF "\`$sid\`" view.txt
	run cc-rpc "$DAEMON_PORT" session.list
	assert_output --partial "$sid"
}

@test "a message streams into one live message, edited in place, typing on then off" {
	export MOCK_CLAUDE_DELAY=0.01
	bridge --edit-interval 0.05 <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 count:40
	wait 1 2 3 4 5 .* 38 39 40$ 20
	idle 0.5
	EOF
	assert_success
	# the reply: one send, then edits, the last without the cursor
	want=$(seq -s ' ' 40)
	ref=$(jq -r --arg w "$want" 'select(.text==$w).ref' actions.ndjson)
	[ -n "$ref" ]
	# sent once, when the first words came
	run jq -r --arg r "$ref" 'select(.op=="send" and .ref==$r).text' actions.ndjson
	assert_output --regexp '^1 .*▌$'
	n=$(jq -s --arg r "$ref" '[.[] | select(.op=="edit" and .ref==$r)] | length' actions.ndjson)
	[ "$n" -ge 2 ]
	last=$(jq -rs --arg r "$ref" '[.[] | select(.ref==$r)] | last | .text' actions.ndjson)
	[ "$last" = "$want" ]
	jq -rs --arg r "$ref" '[.[] | select(.op=="edit" and .ref==$r)][0].text' actions.ndjson | grep -q '▌'
	# typing: on while the reply ran, off at its end
	run jq -c 'select(.op=="typing") | .on' actions.ndjson
	assert_line true
	assert_line --index $((${#lines[@]} - 1)) false
	grep -q 'Connected to \*\*mock-claude-1.0\*\* | Mode: \*\*bypass\*\*' view.txt
}

# The sends and edits of the reply to the message after "MARK": the display
# mode tests look only at that reply.
after_mark() {
	jq -c --arg m "$1" 'select(.op)' actions.ndjson |
		awk -v m="$1" 'found; index($0, m) { found = 1 }'
}

@test "buffer mode: tools make one status message edited to Done, the text comes after" {
	bridge --edit-interval 0.05 <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 /tool-display buffer
	wait Tool display set to \*\*buffer\*\*
	say test:1 echo:warm up
	wait ^warm up$ 20
	idle 0.3
	say test:1 echo:MARK
	wait ^MARK$ 20
	idle 0.3
	say test:1 stream:5:3
	wait w1 w2 w3 w4 w5 20
	idle 0.5
	EOF
	assert_success
	after_mark MARK >reply.ndjson
	run jq -s '[.[] | select(.op=="send")] | length' reply.ndjson
	assert_output 2
	run jq -rs '[.[] | select(.op=="send")][0].text' reply.ndjson
	assert_output --regexp '^Thinking [0-9]+s'
	run jq -rs '[.[] | select(.op=="edit")] | last | .text' reply.ndjson
	assert_output --regexp '^Done in [0-9]+s \| 3 tool calls$'
	run jq -rs '[.[] | select(.op=="send")][1].text' reply.ndjson
	assert_output 'w1 w2 w3 w4 w5'
}

@test "timer mode: Working, then Done in, then the text" {
	bridge --edit-interval 0.05 <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 /tool-display timer
	wait Tool display set to \*\*timer\*\*
	say test:1 echo:MARK
	wait ^MARK$ 20
	idle 0.3
	say test:1 stream:2:2
	wait w1 w2 20
	idle 0.5
	EOF
	assert_success
	after_mark MARK >reply.ndjson
	run jq -rs '[.[] | select(.op=="send")] | map(.text) | .[0]' reply.ndjson
	assert_output 'Working 0s'
	run jq -rs '[.[] | select(.op=="edit")] | last | .text' reply.ndjson
	assert_output --regexp '^Done in [0-9]+s$'
}

@test "append mode: tool, tool, text, tool, text gives four sends in that order" {
	bridge --edit-interval 0.05 <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 /tool-display append
	wait Tool display set to \*\*append\*\*
	say test:1 echo:MARK
	wait ^MARK$ 20
	idle 0.3
	say test:1 multi
	wait Read a file and listed the directory 20
	idle 0.5
	EOF
	assert_success
	after_mark MARK >reply.ndjson
	# multi: Read, Bash, then the text: activity message then text
	run jq -rs '[.[] | select(.op=="send")] | map(.text) | .[]' reply.ndjson
	assert_line --index 0 --partial '**[Tool: 1 call]**'
	assert_line --partial 'Read a file and listed the directory.'
	run jq -rs '[.[] | select(.op=="edit")] | last | .text' reply.ndjson
	assert_output --partial '**[Tools: 2 calls]**'
	assert_output --partial '`Bash`'
	refute_output --partial '▌'
}

@test "batch mode: the tool summary comes after the text" {
	bridge --edit-interval 0.05 <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 /tool-display batch
	wait Tool display set to \*\*batch\*\*
	say test:1 echo:MARK
	wait ^MARK$ 20
	idle 0.3
	say test:1 stream:3:4
	wait Tools: 4 calls 20
	idle 0.5
	EOF
	assert_success
	after_mark MARK >reply.ndjson
	run jq -rs '[.[] | select(.op=="send")] | map(.text) | .[]' reply.ndjson
	assert_line --index 0 'w1 w2 w3'
	assert_line --index 1 '**[Tools: 4 calls]**'
}

@test "live mode: edits of one message are paced by the bridge's edit_interval" {
	export MOCK_CLAUDE_DELAY=0.02
	bridge --edit-interval 0.5 <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 stream:150:0
	wait w150$ 30
	idle 0.5
	EOF
	assert_success
	ref=$(jq -r 'select(.op=="edit" and (.text|endswith("w150"))).ref' actions.ndjson | tail -1)
	[ -n "$ref" ]
	# 150 deltas over ~3 s: several edits, none closer than 0.5 s to the
	# one before (a little slack for the clock of the bridge)
	run jq -rs --arg r "$ref" '[.[] | select(.ref==$r) | ._t] | [range(1; length) as $i | .[$i] - .[$i-1]] | min' actions.ndjson
	awk -v m="$output" 'BEGIN { exit !(m >= 0.45) }'
	n=$(jq -s --arg r "$ref" '[.[] | select(.op=="edit" and .ref==$r)] | length' actions.ndjson)
	[ "$n" -ge 3 ]
	[ "$n" -le 12 ]
}

@test "live mode: a long reply rolls over before max_len, every message's code fences balanced" {
	bridge --max-len 300 --edit-interval 0.05 <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 echo:MARK
	wait ^MARK$ 20
	say test:1 fence:100
	wait print\('line 99'\) 30
	idle 0.5
	EOF
	assert_success
	after_mark MARK >reply.ndjson
	# the messages as they stand at the end
	jq -s -r '[.[] | select(.op=="send" or .op=="edit")] | group_by(.ref)[] | last | .text' reply.ndjson >msgs.txt
	n=$(jq -s '[.[] | select(.op=="send")] | length' reply.ndjson)
	[ "$n" -ge 8 ]
	python3 - msgs.txt <<'PY'
import json, subprocess, sys
msgs = [json.loads(l) for l in subprocess.run(["jq", "-s", "-c", '[.[] | select(.op=="send" or .op=="edit")] | group_by(.ref)[] | last | .text', "reply.ndjson"], capture_output=True, text=True).stdout.splitlines()]
for m in msgs:
    units = sum(2 if ord(c) > 0xffff else 1 for c in m)
    assert units <= 300, (units, m)
    fences = sum(1 for l in m.split("\n") if l.startswith("```"))
    assert fences % 2 == 0, m
# every line of the reply is there, in order, once
text = "\n".join(msgs)
for k in range(100):
    assert text.count("print('line %d')" % k) == 1, k
PY
}

@test "session commands: /mode, /model, /status, /rename, /tool-display and their effects" {
	bridge <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 /mode bypass
	wait Mode set to \*\*bypass\*\*
	say test:1 /mode PLAN
	wait Mode set to \*\*plan\*\*
	say test:1 /model claude-test-9
	wait Model set to \*\*claude-test-9\*\*
	say test:1 /rename my-project
	wait Session renamed: \*\*[a-z]+-[a-z]+\*\* -> \*\*my-project\*\*
	say test:1 /rename My-Project
	wait my-project\*\* -> \*\*my-project
	say test:1 /tool-display Buffer
	wait Tool display set to \*\*buffer\*\*
	say test:1 /status
	wait Session Status 10
	EOF
	assert_success
	run cc-session resolve test:1
	assert_success
	[ "$(jq -r .mode <<<"$output")" = plan ]
	[ "$(jq -r .name <<<"$output")" = my-project ]
	[ "$(jq -r .tool_display <<<"$output")" = buffer ]
	sid=$(jq -r .daemon_session_id <<<"$output")
	# the daemon has the mode and the model
	run cc-rpc "$DAEMON_PORT" monitor.sessions
	jq -e --arg s "$sid" '.sessions[] | select(.sessionId==$s) | .mode=="plan" and .model=="claude-test-9"' <<<"$output"
	grep -q 'Name: \*\*my-project\*\*' view.txt
	grep -q 'Mode: \*\*plan\*\*' view.txt
	grep -q 'Tool Display: \*\*buffer\*\*' view.txt
	grep -qF "Session ID: \`$sid\`" view.txt
	grep -q 'Queue: 0 pending messages' view.txt
}

@test "/rename to a name another session has is refused" {
	bridge <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 /rename taken-name
	wait -> \*\*taken-name
	say test:2 /start local app
	waitcount Session.ready 2 20
	say test:2 /rename taken-name
	wait Name `taken-name` is already in use
	EOF
	assert_success
}

@test "/exit detaches, /resume by name brings the same session back with its name and mode" {
	bridge <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 /rename keep-me
	wait keep-me
	say test:1 /mode code
	wait Mode set to \*\*code\*\*
	say test:1 /exit
	wait Detached from session on \*\*local\*\*:`~/Projects/app`\nUse `/resume keep-me` to reconnect
	say test:1 hello
	wait to begin\.
	say test:1 /resume keep-me
	wait Resuming session \(\*\*keep-me\*\*\) on \*\*local\*\*
	wait Session resumed on \*\*local\*\*:`~/Projects/app`
	say test:1 echo:back again
	wait ^back again$ 20
	EOF
	assert_success
	run cc-session resolve test:1
	[ "$(jq -r .name <<<"$output")" = keep-me ]
	[ "$(jq -r .mode <<<"$output")" = code ]
}

@test "/interrupt stops a long reply; /stop with nothing running says so" {
	bridge <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 /stop
	wait not currently processing
	say test:1 hang
	wait working\.\.\. 20
	say test:1 /interrupt
	wait Interrupted Claude's current operation 20
	idle 1
	say test:1 echo:after
	wait ^after$ 20
	EOF
	assert_success
}

@test "/clear and /new replace the session: the old one is destroyed on the daemon, the CLI type kept" {
	bridge <<-'EOF'
	say test:1 /start local app --codex
	wait Session ready\*\* \(codex\) 20
	say test:1 /clear
	wait Clearing session
	waitcount Session.ready 2 20
	say test:1 /new
	wait Starting fresh session \(replacing
	waitcount Session.ready 3 20
	EOF
	assert_success
	run cc-session list
	[ "$(jq -s '[.[] | select(.status=="active")] | length' <<<"$output")" = 1 ]
	[ "$(jq -s -r '[.[] | select(.status=="active")][0].cli_type' <<<"$output")" = codex ]
	# the daemon holds one session: the two replaced ones were destroyed
	run cc-rpc "$DAEMON_PORT" session.list
	[ "$(jq '.sessions | length' <<<"$output")" = 1 ]
}

@test "/rm and /rm-session destroy on the daemon and in the registry" {
	bridge <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:2 /start local other
	waitcount Session.ready 2 20
	say test:3 /rm local app
	wait Destroyed 1 session\(s\) on \*\*local\*\*:`~/Projects/app`
	say test:3 /rm local nothing-here
	wait No sessions found for \*\*local\*\*:`~/Projects/nothing-here`
	say test:3 /ls session
	wait \*\*Sessions:\*\*
	EOF
	assert_success
	name2=$(cc-session resolve test:2 | jq -r .name)
	bridge <<-EOF
	say test:3 /rm-session $name2
	wait Destroyed session \*\*$name2\*\*
	say test:3 /rm-session nope-nope
	wait Session \`nope-nope\` not found
	EOF
	assert_success
	run cc-rpc "$DAEMON_PORT" session.list
	[ "$(jq '.sessions | length' <<<"$output")" = 0 ]
	run cc-session list --status active
	assert_output ""
}

@test "/health and /monitor: with a peer, from the session, every tunnel, and an unknown peer" {
	bridge <<-'EOF'
	say test:1 /health
	wait No active tunnels
	say test:1 /health local
	wait Daemon Health - local\*\*\nStatus: OK 20
	say test:1 /start local app
	wait Session ready 20
	say test:1 /monitor
	wait Monitor - local\*\* \(uptime
	say test:2 /health
	waitcount Daemon.Health.-.local 2
	say test:2 /health nowhere
	wait Health check failed for nowhere
	say test:2 /ls machine
	wait \*\*Machines:\*\*\n🟢 \*\*local\*\* \(localhost\) \[localhost\] ⚡ 20
	EOF
	assert_success
}

@test "a message sent while a reply streams is queued on the daemon and answered in order" {
	export MOCK_CLAUDE_DELAY=0.01
	bridge <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 stream:100:0
	wait w1 20
	say test:1 echo:second
	say test:1 echo:third
	wait Message queued \(position: 1\)
	wait Message queued \(position: 2\)
	wait ^second$ 30
	wait ^third$ 30
	idle 0.5
	EOF
	assert_success
	# in the chat: the long reply complete, then second, then third
	python3 - <<'PY'
import re
v = open("view.txt").read()
a = v.index("w1 w2"); b = v.index("\nsecond\n"); c = v.index("\nthird\n")
assert a < b < c, (a, b, c)
assert re.search(r"w1 w2 .* w100\n", v)
assert v.count("\nsecond\n") == 1 and v.count("\nthird\n") == 1
PY
}

@test "bad input is skipped with one line each and the engine goes on" {
	bridge <<-'EOF'
	raw this is not json
	raw [1,2,3]
	raw {"type":"message","text":"no channel"}
	raw {"channel":"test:1","text":"no type"}
	raw {"type":"mystery","channel":"test:1"}
	rawbytes 7b2274797065223a226d657373616765222c226368616e6e656c223a22746573743a31222c2274657874223a2261ff62227d
	raw {"type":"message","channel":"test:1","user":"u","text":"nul\u0000here"}
	say test:1 /help
	wait Codecast Commands
	EOF
	assert_success
	[ "$(wc -l <engine.err)" -ge 5 ]
	grep -q 'event skipped' engine.err
	grep -q 'without channel' engine.err
	# a 10 MB line
	python3 -c 'import json; print(json.dumps({"type":"message","channel":"test:1","text":"x"*10000000}))' >big.json
	printf 'event %s\n' "$(cat big.json)" >/dev/null
	{
		printf '%s\n' '{"type":"hello","platform":"test","max_len":2000}'
		cat big.json
		printf '%s\n' '{"type":"message","channel":"test:1","user":"u","text":"/help"}'
	} | cc-engine >out.ndjson 2>err.txt
	grep -q 'longer than' err.txt
	grep -q 'Codecast Commands' out.ndjson
}

@test "end of input and SIGTERM: exit 0 within a second, children stopped" {
	export MOCK_CLAUDE_DELAY=0.05
	bridge <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 stream:200:0
	wait w3 20
	kill TERM
	expect-exit 0
	EOF
	assert_success
	# no cc-rpc of ours is left
	run pgrep -f "cc-rpc .*$CODECAST_CONFIG"
	assert_failure
	start=$(date +%s%N)
	printf '%s\n' '{"type":"hello","platform":"test"}' | cc-engine >/dev/null
	end=$(date +%s%N)
	[ $(( (end - start) / 1000000 )) -lt 1000 ]
}

@test "a question: buttons, answered by a press; then by a typed number without buttons" {
	bridge <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 ask
	waitop "op": "ask" 20
	wait Waiting for your choice 20
	button test:1 1
	wait Mock response: Safe and slow 20
	EOF
	assert_success
	run jq -c 'select(.op=="ask") | {text, options, multi}' actions.ndjson
	assert_output --partial '"text":"**Approach**\nWhich approach should I take?"'
	assert_output --partial '{"label":"1. Fast and simple","value":"0"}'
	assert_output --partial '"multi":false'
	# without buttons: numbered text, a typed number answers
	bridge --no-buttons <<-'EOF'
	say test:1 ask
	wait 3\. A bit of both 20
	say test:1 3
	wait Mock response: A bit of both 20
	EOF
	assert_success
	run jq -s '[.[] | select(.op=="ask")] | length' actions.ndjson
	assert_output 0
}

@test "a multi-select question answered with several values" {
	bridge <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 askmulti
	waitop "multi": true 20
	button test:1 0,2
	wait Mock response: Fast and simple, A bit of both 20
	EOF
	assert_success
}

@test "an attachment is pushed to the peer and its path given to the AI; a .txt is put in the text" {
	printf 'PNGDATA' >pic.png
	printf 'notes line one\n' >notes.txt
	bridge <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	attach test:1 pic.png look at this
	wait Mock response: look at this\n/ 20
	attach test:1 notes.txt read
	wait --- notes.txt ---\nnotes line one 20
	EOF
	assert_success
	remote=$(grep -o '/[^ ]*_pic.png' view.txt | head -1)
	[ -n "$remote" ]
	[ "$(cat "$remote")" = PNGDATA ]
	# the pool is the user's own, 0600 files
	[ "$(stat -c %a "$remote")" = 600 ]
}

@test "file forwarding: a path in a reply is announced, or sent when a rule says auto" {
	mkdir -p out
	printf 'chart' >"$HOME/plot.png"
	printf 'secret' >"$HOME/data.csv"
	cat >>"$CODECAST_CONFIG" <<-EOF
	file_forward:
	  enabled: true
	  download_dir: $HOME/dl
	  rules:
	    - pattern: "*.png"
	      auto: true
	EOF
	bridge --files out <<-EOF
	say test:1 /start local app
	wait Session ready 20
	say test:1 file:$HOME/plot.png
	wait FILE plot.png 20
	say test:1 file:$HOME/data.csv
	wait Detected file: \`$HOME/data.csv\` — Matched default rule \(notify only\)\. 20
	EOF
	assert_success
	[ "$(cat out/plot.png)" = chart ]
	# the local copy was removed once sent
	run find "$HOME/dl" -type f
	assert_output ""
}

@test "/get fetches a file from the session's peer" {
	mkdir -p out
	printf 'report body' >"$HOME/Projects/app/report.txt"
	bridge --files out <<-'EOF'
	say test:1 /get ~/Projects/app/report.txt
	wait No active session
	say test:1 /start local app
	wait Session ready 20
	say test:1 /get ~/Projects/app/report.txt
	wait FILE report.txt 20
	say test:1 /get ~/Projects/app/nope.txt
	wait Cannot fetch `~/Projects/app/nope.txt` 20
	EOF
	assert_success
	[ "$(cat out/report.txt)" = 'report body' ]
}

@test "/add-machine then /remove-machine leave the commented config as it was" {
	cat >>"$CODECAST_CONFIG" <<-'EOF'
	# a comment that must stay
	default_mode: auto   # trailing comment
	bot:
	  telegram:
	    token: ${TG_TOKEN}
	EOF
	cp "$CODECAST_CONFIG" before.yaml
	bridge <<-'EOF'
	say test:1 /add-machine gpu-9 gpu9.example.com alice --port 2222
	wait Machine \*\*gpu-9\*\* added
	say test:1 /ls machine
	wait gpu-9 20
	EOF
	assert_success
	run diff before.yaml "$CODECAST_CONFIG"
	assert_failure
	# only the new peer's lines were added
	[ "$(diff before.yaml "$CODECAST_CONFIG" | grep -c '^<')" = 0 ]
	diff before.yaml "$CODECAST_CONFIG" | grep -q 'gpu9.example.com'
	run cc-config
	jq -e '.peers["gpu-9"].port == 2222' <<<"$output"
	bridge <<-'EOF'
	say test:1 /remove-machine gpu-9
	wait Machine \*\*gpu-9\*\* removed
	say test:1 /remove-machine no-such-machine
	wait not found
	EOF
	assert_success
	cmp before.yaml "$CODECAST_CONFIG"
}

@test "/remove-machine with sessions asks first; yes detaches them" {
	cat >>"$CODECAST_CONFIG" <<-EOF
	  other:
	    transport: local
	    daemon_port: $DAEMON_PORT
	EOF
	bridge <<-'EOF'
	say test:1 /start other app
	wait Session ready 20
	say test:2 /remove-machine other
	wait has 1 active session
	say test:2 no
	wait Removal of \*\*other\*\* cancelled
	say test:2 /remove-machine other
	waitcount has.1.active.session 2
	say test:2 yes
	wait Machine \*\*other\*\* removed
	EOF
	assert_success
	run cc-session list --status active
	assert_output ""
}

@test "/restart: admins only; exit 75; the next engine says it is back in that channel" {
	bridge <<-'EOF'
	say test:1 /restart
	wait requires admin privileges
	admin test:1 /restart
	wait Restarting head node
	eof
	expect-exit 75
	start
	wait Restart complete\.\*\* Head node is back online
	EOF
	assert_success
	[ ! -e "$HOME/.codecast/restart_notify" ]
}

@test "/update runs update_command, then restarts; nothing configured says so" {
	bridge <<-'EOF'
	admin test:1 /update
	wait No update command configured
	EOF
	assert_success
	echo 'update_command: "echo Updated 3 files"' >>"$CODECAST_CONFIG"
	bridge <<-'EOF'
	say test:1 /update
	wait requires admin
	admin test:1 /update
	wait Updated:\n```\nUpdated 3 files
	eof
	expect-exit 75
	EOF
	assert_success
}

@test "kill -9 of the engine mid-reply: the next engine completes the reply in place, every word once" {
	export MOCK_CLAUDE_DELAY=0.02
	bridge --edit-interval 0.1 <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 stream:300:0
	wait w40 20
	kill KILL
	sleep 1
	start
	wait w1 w2 .* w300$ 30
	wait completed after a restart 10
	idle 0.5
	EOF
	assert_success
	# one message holds the whole reply: the one the first engine started
	n=$(grep -c 'w1 w2' view.txt)
	[ "$n" = 1 ]
	grep -q "^$(seq -f 'w%g' -s ' ' 300)\$" view.txt
	ref=$(jq -r 'select(.op=="send" and (.text|startswith("w1 "))).ref' actions.ndjson)
	[ "$(echo "$ref" | wc -l)" = 1 ]
	last=$(jq -rs --arg r "$ref" '[.[] | select(.ref==$r)] | last | .text' actions.ndjson)
	[ "$last" = "$(seq -f 'w%g' -s ' ' 300)" ]
	# no reader of the dead engine outlived it
	run pgrep -f "cc-rpc .*$CODECAST_CONFIG.*session.send"
	assert_failure
	# nothing is left in flight
	run sqlite3 "$CODECAST_DB" 'SELECT count(*) FROM engine_inflight'
	assert_output 0
}

@test "a dead peer delays only its own channel: another channel streams meanwhile" {
	# a peer whose SSH port accepts and never answers
	python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(50)
open("blackhole.port", "w").write(str(s.getsockname()[1]))
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' &
	BLACKHOLE=$!
	for _ in $(seq 100); do [ -s blackhole.port ] && break; sleep 0.05; done
	cat >>"$CODECAST_CONFIG" <<-EOF
	  dead:
	    transport: ssh
	    ssh_host: 127.0.0.1
	    ssh_port: $(cat blackhole.port)
	    ssh_user: root
	EOF
	bridge <<-'EOF'
	say test:dead /start dead app
	wait Starting session on \*\*dead\*\*
	say test:ok /start local app
	wait Session ready 20
	say test:ok count:20
	wait ^1 2 3 .* 20$ 20
	say test:dead /status
	EOF
	kill "$BLACKHOLE"
	assert_success
	# the live channel finished while the dead one was still waiting
	python3 - <<'PY'
v = open("view.txt").read().split("--- ")
dead = [m for m in v if m.startswith("test:dead ")]
ok = [m for m in v if m.startswith("test:ok ")]
assert any("Starting session" in m for m in dead), dead
assert not any("Session ready" in m for m in dead), dead
assert any("Session ready" in m for m in ok), ok
PY
}

@test "/add-machine --from-ssh lists ~/.ssh/config and the next reply picks hosts by number" {
	mkdir -p "$HOME/.ssh"
	cat >"$HOME/.ssh/config" <<-'EOF'
	Host alpha
	    HostName alpha.example.com
	    User ann
	Host beta
	    HostName beta.example.com
	    Port 2200
	EOF
	bridge <<-'EOF'
	say test:1 /add-machine --from-ssh
	wait \*\*SSH Hosts\*\* \(2 found\)
	say test:1 2
	wait Added 1 machine\(s\): \*\*beta\*\*
	EOF
	assert_success
	run cc-config
	jq -e '.peers.beta.host == "beta.example.com" and .peers.beta.port == 2200 and (.peers | has("alpha") | not)' <<<"$output"
}
