#!/usr/bin/env bats
# A person on Telegram: test/fakes/fake-telegram (the Bot API) <-> cc-telegram
# <-> cc-engine <-> cc-daemon running the mock CLI on a local peer.  What the
# person sees is read back from the fake: the messages as they stand, and
# every call the bridge made.

load lib/common.bash
load lib/engine.bash

setup() {
	engine_setup </dev/null
	FAKE_PID= BRIDGE_PID= ENGINE_PID=
	fake-telegram --port-file port >/dev/null 2>fake.err &
	FAKE_PID=$!
	for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
	API=http://127.0.0.1:$(cat port)
	cat >>"$CODECAST_CONFIG" <<-EOF
	bot:
	  telegram:
	    token: "123:TEST"
	    api_url: $API
	    allowed_users: [7, 8]
	    admin_users: [7]
	file_forward:
	  enabled: true
	  download_dir: $HOME/dl
	  rules:
	    - pattern: "*.png"
	      auto: true
	EOF
}

teardown() {
	stop_pair
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
	wait 2>/dev/null || true
	engine_teardown
}

# cc-telegram <-> cc-engine over two FIFOs
start_pair() {
	rm -f ev.fifo act.fifo
	mkfifo ev.fifo act.fifo
	cc-engine 2>>engine.err <ev.fifo >act.fifo &
	ENGINE_PID=$!
	cc-telegram --poll-timeout 1 2>>bridge.err >ev.fifo <act.fifo &
	BRIDGE_PID=$!
}

stop_pair() {
	local p
	for p in $BRIDGE_PID $ENGINE_PID; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $BRIDGE_PID $ENGINE_PID; do wait "$p" 2>/dev/null || true; done
	BRIDGE_PID= ENGINE_PID=
}

WAIT_SECS=20
wait_for_diag() {
	echo "--- chat"; messages
	echo "--- engine"; cat engine.err
	echo "--- bridge"; cat bridge.err
}

ctl() { curl -sf -X POST "$API/control/$1" -d "$2" >/dev/null; }
calls() { curl -sf "$API/control/calls"; }
messages() { curl -sf "$API/control/messages"; }
# the texts the person sees in a chat, one per line
texts() { messages | jq -r --arg c "$1" '.[$c][]? | .text // (.kind + " " + (.file.name // ""))'; }

say() {	# CHAT USER TEXT [extra JSON]
	local extra=${4:-{\}}
	ctl update "$(jq -nc --argjson chat "$1" --argjson user "$2" --arg text "$3" --argjson extra "$extra" \
	    '{message: ({message_id: 1, date: 1, chat: {id: $chat, type: (if $chat < 0 then "supergroup" else "private" end)},
	      from: {id: $user, is_bot: false, username: ("u" + ($user|tostring))}, text: $text} + $extra)}')"
}

@test "telegram: /start, then a message: the reply is formatted HTML, edited live, final" {
	export MOCK_CLAUDE_DELAY=0.01
	start_pair
	say 7 7 '/start@FakeBot local app'
	wait_for 'texts 7 | grep -q "Session ready"'
	# the card is HTML: bold where the Markdown had **
	messages | jq -e '.["7"][] | select(.text|test("Session ready")) | .html | test("<b>Session ready</b>")'
	say 7 7 'count:60'
	wait_for 'texts 7 | grep -qx "$(seq -s " " 60)"'
	# it was edited in place while it streamed
	n=$(calls | jq '[.[] | select(.method=="editMessageText")] | length')
	[ "$n" -ge 1 ]
	calls | jq -e '[.[] | select(.method=="sendChatAction")] | length >= 1'
}

@test "telegram: a question answered with a button goes back to the AI" {
	start_pair
	say 7 7 '/start local app'
	wait_for 'texts 7 | grep -q "Session ready"'
	say 7 7 'ask'
	wait_for 'messages | jq -e ".[\"7\"][] | select(.reply_markup != null)" >/dev/null'
	mid=$(messages | jq -r '[.["7"][] | select(.reply_markup != null)][0].message_id')
	ctl update "{\"callback_query\":{\"id\":\"cb1\",\"from\":{\"id\":7,\"username\":\"u7\"},\"message\":{\"message_id\":$mid,\"chat\":{\"id\":7}},\"data\":\"o:1\"}}"
	wait_for 'texts 7 | grep -q "Mock response: Safe and slow"'
	calls | jq -e '[.[] | select(.method=="answerCallbackQuery")] | length == 1'
}

@test "telegram: a photo in reaches the session's peer; a file out is sent as a photo" {
	head -c 3000 /dev/urandom >pic.jpg
	ctl file "{\"file_id\":\"F1\",\"path\":\"$PWD/pic.jpg\"}"
	printf 'PNG' >"$HOME/plot.png"
	start_pair
	say 7 7 '/start local app'
	wait_for 'texts 7 | grep -q "Session ready"'
	say 7 7 '' '{"text":null,"photo":[{"file_id":"F1","file_unique_id":"uF1","width":9,"height":9,"file_size":3000}],"caption":"look"}'
	wait_for 'texts 7 | grep -q "Mock response: look"'
	remote=$(texts 7 | grep -o '/[^ ]*photo-uF1.jpg' | head -1)
	cmp pic.jpg "$remote"
	say 7 7 "file:$HOME/plot.png"
	wait_for 'messages | jq -e ".[\"7\"][] | select(.kind==\"photo\")" >/dev/null'
	messages | jq -e '.["7"][] | select(.kind=="photo") | .file.name == "plot.png" and .file.size == 3'
}

@test "telegram: a forum topic has its own session and the reply lands in the topic" {
	start_pair
	say -100123 7 '/start local app' '{"is_topic_message":true,"message_thread_id":42}'
	wait_for 'texts -100123 | grep -q "Session ready"'
	say -100123 7 'echo:in topic' '{"is_topic_message":true,"message_thread_id":42}'
	wait_for 'texts -100123 | grep -qx "in topic"'
	messages | jq -e '[.["-100123"][] | .thread] | all(. == 42)'
	run cc-session resolve telegram:-100123:42
	assert_success
}

@test "telegram: a user not allowed gets nothing through" {
	start_pair
	say 9 9 '/start local app'
	say 7 7 '/help'
	wait_for 'texts 7 | grep -q "Codecast Commands"'
	[ -z "$(texts 9)" ]
	run cc-session list
	assert_output ""
	grep -q 'refused a message from user 9' bridge.err
}

@test "telegram: the pair restarted mid-conversation neither replays nor loses a message" {
	start_pair
	say 7 7 '/start local app'
	wait_for 'texts 7 | grep -q "Session ready"'
	say 7 7 'echo:one'
	wait_for 'texts 7 | grep -qx one'
	stop_pair
	say 7 7 'echo:two'
	start_pair
	wait_for 'texts 7 | grep -qx two'
	sleep 2
	[ "$(texts 7 | grep -cx one)" = 1 ]
	[ "$(texts 7 | grep -cx two)" = 1 ]
	[ "$(texts 7 | grep -c 'Session ready')" = 1 ]
}
