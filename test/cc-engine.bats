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
	waitcount "Codecast Commands" 2
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
	waitcount "No active session" 5
	EOF
	assert_success
}

@test "usage lines: /start, /rm, /rename, /mode, /resume, /ls, /model" {
	bridge <<-'EOF'
	say test:1 /start
	wait Usage: `/start <peer>
	say test:1 /start local
	waitcount "Usage: `/start" 2
	say test:1 /start local --codex
	waitcount "Usage: `/start" 3
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
	grep -q "**Name:** $name" view.txt
	grep -qF "\`$sid\`" view.txt
	run cc-rpc "$DAEMON_PORT" session.list
	assert_output --partial "$sid"
}

@test "a message streams into one live message, edited in place, typing on then off" {
	bridge --edit-interval 0.05 <<-'EOF'
	say test:1 /start local app
	wait Session ready 20
	say test:1 count:40
	wait 1 2 3 4 5 .* 38 39 40$ 20
	idle 0.5
	EOF
	assert_success
	# the reply: one send, then edits, the last without the cursor
	ref=$(jq -r 'select(.op=="send" and (.text|test("^1 2"))).ref' actions.ndjson)
	[ -n "$ref" ]
	n=$(jq -s --arg r "$ref" '[.[] | select(.op=="edit" and .ref==$r)] | length' actions.ndjson)
	[ "$n" -ge 2 ]
	last=$(jq -rs --arg r "$ref" '[.[] | select(.ref==$r)] | last | .text' actions.ndjson)
	[ "$last" = "$(seq -s ' ' 40)" ]
	jq -rs --arg r "$ref" '[.[] | select(.op=="edit" and .ref==$r)][0].text' actions.ndjson | grep -q '▌'
	run jq -c 'select(.op=="typing") | .on' actions.ndjson
	assert_line --index 0 true
	assert_line --index 1 false
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
