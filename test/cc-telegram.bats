#!/usr/bin/env bats
# cc-telegram against test/fakes/fake-telegram (the Bot API) with
# test/fakes/script-engine standing in for cc-engine.
#
# The same person, wired through the real cc-engine, cc-daemon and the mock
# CLI on a local peer: test/cc-telegram-e2e.bats.

load lib/common

setup() {
	cc_setup_home
	FAKE_PID= BRIDGE_PID= ENGINE_PID=
	export -f events
}

teardown() {
	for p in $BRIDGE_PID $ENGINE_PID $FAKE_PID; do
		kill "$p" 2>/dev/null || true
	done
	for p in $BRIDGE_PID $ENGINE_PID $FAKE_PID; do
		wait "$p" 2>/dev/null || true
	done
}

# start_fake [fake-telegram options]
start_fake() {
	fake-telegram --port-file port "$@" >/dev/null 2>fake.err &
	FAKE_PID=$!
	for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
	PORT=$(cat port)
	API=http://127.0.0.1:$PORT
}

# write_config [extra telegram lines] — token 123:TEST unless TOKEN is set
write_config() {
	{
		printf 'bot:\n  telegram:\n    token: "%s"\n    api_url: %s\n' "${TOKEN:-123:TEST}" "$API"
		printf '%s\n' "$@"
	} > cfg.yaml
}

# start_bridge: cc-telegram <-> script-engine over two FIFOs
start_bridge() {
	rm -f to_b from_b
	mkfifo to_b from_b
	touch act
	cc-telegram -c cfg.yaml --poll-timeout 2 <to_b >from_b 2>>bridge.err &
	BRIDGE_PID=$!
	script-engine --log ev.log --actions act >to_b <from_b &
	ENGINE_PID=$!
	wait_for 'grep -q "\"hello\"" ev.log'
}

stop_bridge() {
	kill -TERM "$BRIDGE_PID"
	wait "$BRIDGE_PID" || fail "bridge exit status $? on SIGTERM"
	wait "$ENGINE_PID" 2>/dev/null || true
	BRIDGE_PID= ENGINE_PID=
}

act() { printf '%s\n' "$1" >> act; }
ctl() { curl -sf -X POST "$API/control/$1" -d "$2" >/dev/null; }
calls() { curl -sf "$API/control/calls"; }
messages() { curl -sf "$API/control/messages"; }
events() { grep -v '"hello"' ev.log 2>/dev/null || true; }

# msg_update CHAT USER NAME TEXT [extra JSON merged into the message]
msg_update() {
	local extra=${5:-{\}}
	ctl update "$(jq -nc --argjson chat "$1" --argjson user "$2" --arg name "$3" \
	    --arg text "$4" --argjson extra "$extra" \
	    '{message: ({message_id: 1, date: 1, chat: {id: $chat, type: "private"},
	      from: {id: $user, is_bot: false, username: $name}, text: $text} + $extra)}')"
}

@test "hello first; a message becomes an event; a Markdown reply arrives as valid HTML" {
	start_fake
	write_config '    admin_users: [7]'
	start_bridge
	run head -1 ev.log
	assert_output '{"type":"hello","platform":"telegram","max_len":4096,"can_edit":true,"edit_interval":1.0,"buttons":true,"files":true,"max_file":52428800}'
	msg_update 7 7 alice '/start@FakeBot local /tmp'
	msg_update 7 8 bob '/add_machine gpu'
	msg_update 7 8 bob '/help@OtherBot'
	wait_for '[ "$(events | wc -l)" -ge 3 ]'
	run jq -c '[.channel, .user, .name, .admin, .text]' < <(events)
	assert_line -n 0 '["telegram:7","7","alice",true,"/start local /tmp"]'
	assert_line -n 1 '["telegram:7","8","bob",false,"/add-machine gpu"]'
	assert_line -n 2 '["telegram:7","8","bob",false,"/help@OtherBot"]'
	act '{"op":"send","channel":"telegram:7","ref":"m1","text":"**Done** <script> & `x<y`\n\n```c\nint a;\n```\n\n- one\n- two"}'
	wait_for 'messages | jq -e ".\"7\"[0]" >/dev/null'
	run bash -c "curl -sf $API/control/messages | jq -r '.\"7\"[0].html'"
	assert_output '<b>Done</b> &lt;script&gt; &amp; <code>x&lt;y</code>

<pre><code class="language-c">int a;</code></pre>

• one
• two'
}

@test "live edits land; a 20-chunk reply is split into valid messages; edits of it touch only what changed" {
	start_fake
	write_config
	start_bridge
	act '{"op":"send","channel":"telegram:7","ref":"m1","text":"step 1"}'
	act '{"op":"edit","ref":"m1","text":"step 2"}'
	act '{"op":"edit","ref":"m1","text":"**step 3**"}'
	wait_for '[ "$(messages | jq -r ".\"7\"[0].html")" = "<b>step 3</b>" ]'
	long=$(for i in $(seq 300); do printf 'line %d of a long reply with some words in it\n\n' "$i"; done)
	act "$(jq -nc --arg t "$long" '{op:"send",channel:"telegram:7",ref:"m2",text:$t}')"
	wait_for 'messages | jq -r ".\"7\"[-1].text" | grep -q "line 300 of"'
	run bash -c "curl -sf $API/control/calls | jq '[.[] | select(.status != 200)] | length'"
	assert_output 0
	n=$(messages | jq '."7" | length')
	ctl reset '{}'
	act "$(jq -nc --arg t "$long"$'\n\nthe end' '{op:"edit",ref:"m2",text:$t}')"
	wait_for 'messages | jq -r ".\"7\"[-1].text" | grep -q "the end"'
	run bash -c "curl -sf $API/control/calls | jq -c '[.[] | select(.method != \"getUpdates\") | .method]'"
	assert_output '["editMessageText"]'	# only the last chunk changed
	[ "$(messages | jq '."7" | length')" -eq "$n" ] || fail "chunks added or lost"
	act '{"op":"edit","ref":"nope","text":"x"}'
	wait_for 'events | grep -q "\"failed\""'
	run bash -c 'events | jq -c "select(.type==\"failed\") | [.ref, .op, .error]"'
	assert_output '["nope","edit","unknown ref"]'
}

@test "edits waiting behind a 429 are coalesced to the newest; another chat is not held up" {
	start_fake
	write_config
	start_bridge
	act '{"op":"send","channel":"telegram:7","ref":"m1","text":"v0"}'
	wait_for 'messages | jq -e ".\"7\"[0]" >/dev/null'
	ctl fail '{"method":"editMessageText","code":429,"description":"Too Many Requests: retry after 2","retry_after":2}'
	for i in $(seq 1 30); do act "{\"op\":\"edit\",\"ref\":\"m1\",\"text\":\"v$i\"}"; done
	act '{"op":"send","channel":"telegram:8","ref":"o1","text":"other chat"}'
	wait_for '[ "$(messages | jq -r ".\"7\"[0].text")" = "v30" ]'
	run bash -c "curl -sf $API/control/calls | jq '[.[] | select(.method == \"editMessageText\")] | length'"
	[ "$output" -le 4 ] || fail "$output edit calls for 30 edits"
	# The other chat's send went out during the wait, before the final edit.
	run bash -c "curl -sf $API/control/calls | jq -r '[.[] | select(.method != \"getUpdates\" and .method != \"getMe\")] | map(.method + \":\" + (.params.chat_id|tostring) + \":\" + (.status|tostring)) | join(\" \")'"
	[[ "$output" == *"sendMessage:8:200"*"editMessageText:7:200"* ]] || fail "order: $output"
}

@test "a question: buttons, an allowed press becomes a button event, the keyboard goes; a refused user's press does nothing" {
	start_fake
	write_config '    allowed_users: [7]'
	start_bridge
	act '{"op":"ask","channel":"telegram:7","ref":"q7","text":"Which **approach** <x>?","options":[{"label":"Alpha","value":"0"},{"label":"Beta","value":"1"}],"multi":false}'
	wait_for 'messages | jq -e ".\"7\"[0].reply_markup" >/dev/null'
	run bash -c "curl -sf $API/control/messages | jq -c '.\"7\"[0].reply_markup.inline_keyboard'"
	assert_output '[[{"text":"Alpha","callback_data":"o:0"}],[{"text":"Beta","callback_data":"o:1"}]]'
	mid=$(messages | jq '."7"[0].message_id')
	ctl update "{\"callback_query\":{\"id\":\"cb1\",\"from\":{\"id\":9,\"username\":\"mallory\"},\"message\":{\"message_id\":$mid,\"chat\":{\"id\":7}},\"data\":\"o:0\"}}"
	wait_for 'grep -q "mallory" bridge.err'
	assert grep -q 'refused a button press from user 9 (mallory) in chat 7: not in allowed_users' bridge.err
	ctl update "{\"callback_query\":{\"id\":\"cb2\",\"from\":{\"id\":7,\"username\":\"alice\"},\"message\":{\"message_id\":$mid,\"chat\":{\"id\":7}},\"data\":\"o:1\"}}"
	wait_for 'events | grep -q "\"button\""'
	run bash -c 'events | jq -c "select(.type==\"button\") | [.channel, .user, .ref, .value]"'
	assert_output '["telegram:7","7","q7","1"]'
	wait_for '[ "$(messages | jq ".\"7\"[0].reply_markup")" = null ]'
	run bash -c "curl -sf $API/control/messages | jq -r '.\"7\"[0].text'"
	assert_output --partial '✓ Beta'
	run bash -c "curl -sf $API/control/calls | jq -c '[.[] | select(.method==\"answerCallbackQuery\") | .params.text]'"
	assert_output '["Not authorized","Selected: Beta"]'
}

@test "multi-select: toggles keep ✓ marks, Done sends the chosen values joined by a comma" {
	start_fake
	write_config
	start_bridge
	act '{"op":"ask","channel":"telegram:7","ref":"q8","text":"Pick","options":[{"label":"A","value":"0"},{"label":"B","value":"1"},{"label":"C","value":"2"}],"multi":true}'
	wait_for 'messages | jq -e ".\"7\"[0].reply_markup" >/dev/null'
	mid=$(messages | jq '."7"[0].message_id')
	for d in o:0 o:2 o:1 o:1; do
		ctl update "{\"callback_query\":{\"id\":\"c$RANDOM$d\",\"from\":{\"id\":7},\"message\":{\"message_id\":$mid,\"chat\":{\"id\":7}},\"data\":\"$d\"}}"
	done
	wait_for '[ "$(messages | jq -c "[.\"7\"[0].reply_markup.inline_keyboard[][].text]")" = "[\"✓ A\",\"B\",\"✓ C\",\"Done\"]" ]'
	ctl update "{\"callback_query\":{\"id\":\"cdone\",\"from\":{\"id\":7},\"message\":{\"message_id\":$mid,\"chat\":{\"id\":7}},\"data\":\"done\"}}"
	wait_for 'events | grep -q "\"button\""'
	run bash -c 'events | jq -r "select(.type==\"button\") | .value"'
	assert_output '0,2'
}

@test "a photo in is downloaded (0600) and passed as files" {
	start_fake
	write_config
	head -c 3000 /dev/urandom > pic.jpg
	ctl file "{\"file_id\":\"F1\",\"path\":\"$PWD/pic.jpg\"}"
	start_bridge
	msg_update 7 7 alice '' '{"text":null,"photo":[{"file_id":"F0","file_unique_id":"s","width":1,"height":1},{"file_id":"F1","file_unique_id":"uF1","width":9,"height":9,"file_size":3000}],"caption":"look"}'
	wait_for 'events | grep -q "\"message\""'
	path=$(events | jq -r '.files[0].path')
	run bash -c 'events | jq -c "[.text, .files[0].name, .files[0].mime, .files[0].size]"'
	assert_output '["look","photo-uF1.jpg","image/jpeg",3000]'
	[ "$(stat -c %a "$path")" = 600 ] || fail "mode $(stat -c %a "$path")"
	cmp pic.jpg "$path"
	case "$path" in "$HOME/.codecast/downloads/"*) ;; *) fail "path $path" ;; esac
}

@test "a photo that cannot be downloaded: the chat is told, the caption still reaches the engine" {
	start_fake
	write_config
	head -c 3000 /dev/urandom > pic.jpg
	ctl file "{\"file_id\":\"F1\",\"path\":\"$PWD/pic.jpg\"}"
	ctl fail '{"method":"getFile","code":400,"description":"Bad Request: file is too big"}'
	start_bridge
	msg_update 7 7 alice '' '{"text":null,"photo":[{"file_id":"F1","file_unique_id":"uF1","width":9,"height":9,"file_size":3000}],"caption":"look"}'
	wait_for 'events | grep -q "\"message\""'
	run bash -c 'events | jq -c "[.text, (.files | length)]"'
	assert_output '["look",0]'
	wait_for 'messages | jq -e ".\"7\" | any(.text | startswith(\"⚠ photo-uF1.jpg was not received: \"))" >/dev/null'
	grep -q 'telegram:7: photo-uF1.jpg was not received: ' bridge.err
}

@test "files out: an image by sendPhoto, others by sendDocument, over 50 MB failed" {
	start_fake
	write_config
	start_bridge
	head -c 2000 /dev/urandom > plot.png
	printf 'hello\n' > notes.txt
	truncate -s 60M big.bin
	act "{\"op\":\"file\",\"channel\":\"telegram:7\",\"path\":\"$PWD/plot.png\",\"caption\":\"plot.png\",\"ref\":\"f1\"}"
	act "{\"op\":\"file\",\"channel\":\"telegram:7\",\"path\":\"$PWD/notes.txt\",\"caption\":\"notes\"}"
	act "{\"op\":\"file\",\"channel\":\"telegram:7\",\"path\":\"$PWD/big.bin\",\"ref\":\"f3\"}"
	wait_for '[ "$(messages | jq ".\"7\" | length")" -ge 2 ]'
	run bash -c "curl -sf $API/control/messages | jq -c '.\"7\"[] | [.kind, .file.name, .file.size, .caption]'"
	assert_line -n 0 '["photo","plot.png",2000,"plot.png"]'
	assert_line -n 1 '["document","notes.txt",6,"notes"]'
	wait_for 'events | grep -q "\"failed\""'
	run bash -c 'events | jq -c "select(.type==\"failed\") | [.ref, .op, .channel, .error]"'
	assert_output '["f3","file","telegram:7","file too large: 62914560 bytes, the limit is 52428800"]'
}

@test "a forum topic is its own channel and the reply lands in the topic" {
	start_fake
	write_config
	start_bridge
	ctl update '{"message":{"message_id":5,"date":1,"chat":{"id":-100123,"type":"supergroup","is_forum":true},"from":{"id":7,"username":"alice"},"text":"hi","is_topic_message":true,"message_thread_id":42}}'
	wait_for 'events | grep -q "\"message\""'
	run bash -c 'events | jq -r .channel'
	assert_output 'telegram:-100123:42'
	act '{"op":"send","channel":"telegram:-100123:42","ref":"t1","text":"in the topic"}'
	act '{"op":"typing","channel":"telegram:-100123:42","on":true}'
	wait_for 'messages | jq -e ".\"-100123\"[0]" >/dev/null'
	run bash -c "curl -sf $API/control/messages | jq -c '.\"-100123\"[0] | [.text, .thread]'"
	assert_output '["in the topic",42]'
	wait_for 'calls | jq -e "[.[] | select(.method==\"sendChatAction\")] | length > 0" >/dev/null'
	run bash -c "curl -sf $API/control/calls | jq -c '[.[] | select(.method==\"sendChatAction\")][0].params.message_thread_id'"
	assert_output 42
}

@test "refused users and chats get nothing through; the log names them" {
	start_fake
	write_config '    allowed_users: [7]' '    allowed_chats: [-100555]'
	start_bridge
	msg_update 7 9 bob 'let me in'
	msg_update -100999 7 alice 'wrong group'
	msg_update 7 7 alice 'ok'
	wait_for 'events | grep -q "\"ok\""'
	run bash -c 'events | jq -r .text'
	assert_output 'ok'
	assert grep -q 'refused a message from user 9 (bob) in chat 7: not in allowed_users' bridge.err
	assert grep -q 'refused a message from user 7 (alice) in chat -100999: not in allowed_chats' bridge.err
	run grep -c 'let me in' bridge.err
	assert_output 0
}

@test "a restart mid-conversation neither replays nor loses an update" {
	start_fake
	write_config
	start_bridge
	msg_update 7 7 alice 'first'
	wait_for 'events | grep -q first'
	stop_bridge
	off=$(ls "$HOME"/.codecast/telegram-*.offset)
	[ "$(stat -c %a "$off")" = 600 ] || fail "offset file mode"
	msg_update 7 7 alice 'second'
	msg_update 7 7 alice 'third'
	start_bridge
	wait_for 'events | grep -q third'
	run bash -c 'events | jq -r .text'
	assert_output $'first\nsecond\nthird'
	[ "$(cat "$off")" = 4 ] || fail "offset $(cat "$off")"
}

@test "EOF on stdin: the outbox drains, then exit 0" {
	start_fake --chat-interval 1
	write_config
	start_bridge
	act '{"op":"send","channel":"telegram:7","ref":"a","text":"one"}'
	act '{"op":"send","channel":"telegram:7","ref":"b","text":"two"}'
	act '{"op":"send","channel":"telegram:7","ref":"c","text":"three"}'
	act 'EOF'
	wait "$BRIDGE_PID"
	BRIDGE_PID=
	run bash -c "curl -sf $API/control/messages | jq -r '.\"7\"[].text'"
	assert_output $'one\ntwo\nthree'
	run bash -c "curl -sf $API/control/calls | jq '[.[] | select(.status == 429)] | length'"
	assert_output 0	# paced at one per second per chat, never refused
}

@test "an overlong or invalid action line is skipped with one line on stderr" {
	start_fake
	write_config
	start_bridge
	act 'not json'
	act '{"op":"send","channel":"telegram:7","ref":"a","text":"after"}'
	wait_for 'messages | jq -e ".\"7\"[0]" >/dev/null'
	run grep -c 'action:' bridge.err
	assert_output 1
}

@test "a wrong token: exit 5 with a clear message" {
	start_fake
	TOKEN=999:WRONG write_config
	run timeout 20 cc-telegram -c cfg.yaml < <(sleep 15)
	assert_equal "$status" 5
	assert_output --partial 'getMe: Unauthorized: the bot token is wrong'
	printf 'bot:\n  discord:\n    token: x\n' > none.yaml
	run cc-telegram -c none.yaml </dev/null
	assert_equal "$status" 5
	assert_output --partial 'no bot.telegram.token'
}

@test "another poller (409): exit 6" {
	start_fake
	write_config
	ctl fail '{"method":"getUpdates","code":409,"description":"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}'
	run timeout 20 cc-telegram -c cfg.yaml < <(sleep 15)
	assert_equal "$status" 6
	assert_output --partial 'another program is polling this bot'
}

@test "send CHAT TEXT, send CHAT - and send-file for scripts" {
	start_fake
	write_config
	run cc-telegram -c cfg.yaml send 7 '**gpu-1** down'
	assert_success
	run bash -c "printf 'from stdin' | cc-telegram -c cfg.yaml send telegram:7:3 -"
	assert_success
	printf 'x' > r.txt
	run cc-telegram -c cfg.yaml send-file 7 r.txt
	assert_success
	run bash -c "curl -sf $API/control/messages | jq -c '.\"7\"[] | [.kind, .html // .file.name, .thread]'"
	assert_line -n 0 '["text","<b>gpu-1</b> down",null]'
	assert_line -n 1 '["text","from stdin",3]'
	assert_line -n 2 '["document","r.txt",null]'
	ctl fail '{"method":"sendMessage","code":403,"description":"Forbidden: bot was blocked by the user"}'
	run cc-telegram -c cfg.yaml send 7 hi
	assert_equal "$status" 1
	assert_output --partial 'Forbidden: bot was blocked by the user'
	run cc-telegram -c cfg.yaml send notachat hi
	assert_equal "$status" 2
}

@test "commands: setMyCommands with Telegram's names; routing maps them back" {
	start_fake
	write_config
	start_bridge
	act '{"op":"commands","list":[{"name":"start","args":"<peer> <path>","help":"start a session"},{"name":"add-machine","help":"add a machine"},{"name":"bad name!","help":"x"}]}'
	wait_for 'curl -sf $API/control/commands | jq -e "length == 2" >/dev/null'
	run bash -c "curl -sf $API/control/commands | jq -c '[.[].command]'"
	assert_output '["start","add_machine"]'
	msg_update 7 7 alice '/add_machine@FakeBot gpu-2 host'
	wait_for 'events | grep -q add-machine'
	run bash -c 'events | jq -r .text'
	assert_output '/add-machine gpu-2 host'
}

@test "check: one getMe; 0 and the username, 5 for a refused token, 1 when unreachable" {
	start_fake
	write_config
	run cc-telegram -c cfg.yaml check
	assert_success
	assert_output '@FakeBot'
	run bash -c "curl -sf $API/control/calls | jq -r '.[].method'"
	assert_output getMe
	TOKEN=999:WRONG write_config
	run cc-telegram -c cfg.yaml check
	assert_equal "$status" 5
	assert_output --partial 'the bot token is wrong'
	closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	API=http://127.0.0.1:$closed write_config
	run cc-telegram -c cfg.yaml check
	assert_equal "$status" 1
	assert_output --partial 'getMe:'
	run cc-telegram -c cfg.yaml check extra
	assert_equal "$status" 2
}

@test "the bridges' shared command line: unknown and malformed subcommands are 2, a config that does not load is 5" {
	printf 'bot:\n  telegram:\n    token: "1:T"\n  discord:\n    token: "x"\n  lark:\n    app_id: a\n    app_secret: s\n' >cfg.yaml
	for b in cc-telegram cc-discord cc-lark; do
		run "$b" -c cfg.yaml bogus
		assert_failure 2
		assert_line --index 0 "$b: bogus: unknown command"
		assert_line --partial "usage: $b"
		run "$b" -c cfg.yaml send
		assert_failure 2
		refute_line --partial "unknown command"
		run "$b" -c cfg.yaml send-file x
		assert_failure 2
		run "$b" -c cfg.yaml send a b c
		assert_failure 2
		run "$b" -c cfg.yaml --global-rate fast
		assert_failure 2
		assert_line --index 0 "$b: --global-rate: fast: expected a number from 0.1 to 1000"
		run "$b" -c missing.yaml send 1 hi
		assert_failure 5
		assert_output --partial "missing.yaml"
		# text that is not UTF-8 cannot be a protocol action
		run "$b" -c cfg.yaml send "$([ "$b" = cc-lark ] && echo oc_1 || echo 1)" $'a\xffb'
		assert_failure 2
		assert_output "$b: the text is not UTF-8"
	done
	run cc-telegram -c cfg.yaml check extra
	assert_failure 2
	run cc-discord -c cfg.yaml check
	assert_failure 2
	assert_line --index 0 "cc-discord: check: unknown command"
}
