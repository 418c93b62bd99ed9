#!/usr/bin/env bats
# cc-discord against test/fakes/fake-discord (gateway and REST), wired to the
# real cc-engine, cc-daemon and the mock CLI on a local peer; a few edge
# tests use test/fakes/script-engine to write exact actions.

load lib/common.bash
load lib/engine.bash

setup() {
	engine_setup </dev/null
	cp "$CODECAST_CONFIG" "$BATS_TEST_TMPDIR/base.yaml"
	FAKE_PID= BRIDGE_PID= ENGINE_PID= TEE1= TEE2=
}

teardown() {
	for p in $BRIDGE_PID $ENGINE_PID $TEE1 $TEE2 $FAKE_PID; do
		kill "$p" 2>/dev/null || true
	done
	for p in $BRIDGE_PID $ENGINE_PID $TEE1 $TEE2 $FAKE_PID; do
		wait "$p" 2>/dev/null || true
	done
	engine_teardown
}

# start_fake [fake-discord options]
start_fake() {
	fake-discord --port-file port "$@" >/dev/null 2>fake.err &
	FAKE_PID=$!
	wait_for '[ -s port ]'
	PORT=$(cat port)
	API=http://127.0.0.1:$PORT
}

# discord_config [extra lines under bot.discord]
discord_config() {
	{
		printf 'file_forward:\n  enabled: true\n  download_dir: %s/downloads\n' "$HOME"
		printf 'bot:\n  discord:\n    token: "%s"\n    api_url: %s/api/v10\n' \
		    "${TOKEN:-Bot TESTTOKEN}" "$API"
		printf '    admin_users: [7]\n'
		printf '%s\n' "$@"
	} >>"$CODECAST_CONFIG"
}

# cc-discord <-> cc-engine, every event in ev.log, every action in act.log
# (cc-discord opens its output first, so the ring of FIFOs opens in turn)
start_wired() {
	rm -f d_out d_in e_in e_out
	mkfifo d_out d_in e_in e_out
	cc-discord -c "$CODECAST_CONFIG" "$@" >d_out <d_in 2>>bridge.err &
	BRIDGE_PID=$!
	tee ev.log <d_out >e_in &
	TEE1=$!
	cc-engine <e_in >e_out 2>>engine.err &
	ENGINE_PID=$!
	tee act.log <e_out >d_in &
	TEE2=$!
	wait_for 'grep -q "\"op\":\"commands\"" act.log'
	wait_for 'get commands | jq -e ".global | length > 10" >/dev/null'
}

# cc-discord <-> script-engine: actions appended to act, events in ev.log
start_scripted() {
	rm -f to_b from_b
	mkfifo to_b from_b
	touch act
	cc-discord -c "$CODECAST_CONFIG" "$@" <to_b >from_b 2>>bridge.err &
	BRIDGE_PID=$!
	script-engine --log ev.log --actions act >to_b <from_b &
	ENGINE_PID=$!
	wait_for 'grep -q "\"hello\"" ev.log'
	wait_for 'get gateway | jq -e ".seq >= 2" >/dev/null'
}

act() { printf '%s\n' "$1" >> act; }
ctl() { curl -sf -X POST "$API/control/$1" -d "$2"; }
get() { curl -sf "$API/control/$1"; }
# say CHANNEL TEXT [USER-ID NAME]
say() {
	ctl message "$(jq -nc --arg c "$1" --arg t "$2" --arg u "${3:-7}" --arg n "${4:-alice}" \
	    '{channel_id: $c, content: $t, author: {id: $u, username: $n}}')" >/dev/null
}
# slash CHANNEL NAME OPTIONS-JSON
slash() {
	ctl interaction "$(jq -nc --arg c "$1" --arg n "$2" --argjson o "$3" \
	    '{type: 2, channel_id: $c, data: {name: $n, options: $o}}')"
}
contents() { get messages | jq -r --arg c "$1" '.[$c][]? | select(.author.bot) | .content'; }
events() { grep -v '"hello"' ev.log 2>/dev/null || true; }

@test "hello, identify with the intents, heartbeats (the first jittered) carrying the sequence; commands registered" {
	start_fake --hello-interval 400
	discord_config
	start_wired
	run head -1 ev.log
	assert_output '{"type":"hello","platform":"discord","max_len":2000,"can_edit":true,"edit_interval":1.0,"buttons":true,"files":true,"max_file":10485760}'
	wait_for 'get gateway | jq -e "[.log[] | select(.op==1)] | length >= 3" >/dev/null'
	run bash -c "curl -sf $API/control/gateway | jq -c '[.log[] | select(.op==2) | .d.intents]'"
	assert_output '[37377]'
	# the first beat within one interval of hello, the rest an interval apart
	run bash -c "curl -sf $API/control/gateway | jq '[.log[] | select(.op==1)][0].since_hello < 0.4'"
	assert_output true
	run bash -c "curl -sf $API/control/gateway | jq '[.log[] | select(.op==1)] | .[1].t - .[0].t | . > 0.3 and . < 0.6'"
	assert_output true
	run bash -c "curl -sf $API/control/gateway | jq -c '[.log[] | select(.op==1) | .d] | .[-1]'"
	assert_output 2	# READY and GUILD_CREATE
	# the engine's commands as slash commands: typed options, autocomplete
	run bash -c "curl -sf $API/control/commands | jq -c '.global[] | select(.name==\"start\") | [.options[] | [.name, .required, (.autocomplete // false), (.choices | length)]]'"
	assert_output '[["peer",true,true,0],["path",true,true,0],["cli",false,false,4]]'
	run bash -c "curl -sf $API/control/commands | jq -r '.global[].name' | grep -c -x -e tool-display -e rm-session -e add-machine"
	assert_output 3
}

@test "a session started by a slash command (deferred, completed by the engine's reply) and by a prefix command; a live-edited reply" {
	export MOCK_CLAUDE_DELAY=0.02
	start_fake
	discord_config '    command_prefix: "!"'
	start_wired --edit-interval 0.2
	run slash 55 start '[{"name":"peer","value":"local"},{"name":"path","value":"app"}]'
	assert_success
	iid=$(jq -r .id <<<"$output")
	wait_for 'contents 55 | grep -q "Session ready"' 30
	# acknowledged at once as deferred; the engine's first reply completed it
	run bash -c "curl -sf $API/control/interactions | jq -c '.\"$iid\".responses'"
	assert_output '[{"type":5}]'
	run bash -c "curl -sf $API/control/calls | jq -r '[.[] | select(.path | startswith(\"/webhooks/\"))][0].path'"
	assert_output --regexp '^/webhooks/888/tok[0-9]+/messages/@original$'
	grep -q '"text":"/start local app"' ev.log
	# a prefix command in another channel
	say 66 '!start local app2'
	wait_for 'contents 66 | grep -q "Session ready"' 30
	grep -q '"channel":"discord:66".*"text":"/start local app2"' ev.log
	# a live reply: one message, edited in place to the whole text
	say 55 'count:60'
	want=$(seq -s ' ' 60)
	wait_for '[ "$(contents 55 | tail -1)" = "$want" ]' 30  || { contents 55; tail -5 act.log; cat bridge.err engine.err; false; }
	run bash -c "curl -sf $API/control/messages | jq '[.\"55\"[] | select(.content == \"$want\")][0].edits'"
	[ "$output" -ge 2 ] || fail "edits: $output"
	run bash -c "curl -sf $API/control/calls | jq '[.[] | select(.status >= 400)] | length'"
	assert_output 0
}

@test "a question answered by a button; the buttons go, the answer reaches the AI" {
	start_fake
	discord_config
	start_wired
	say 55 '/start local app'
	wait_for 'contents 55 | grep -q "Session ready"' 30
	say 55 'ask'
	wait_for 'get messages | jq -e "[.\"55\"[] | select(.components | length > 0)] | length == 1" >/dev/null' 20 || { tail -5 act.log; cat engine.err bridge.err; get calls | jq -c ".[-4:][] | [.method,.path,.status]"; false; }
	msg=$(get messages | jq -c '[."55"[] | select(.components | length > 0)][0]')
	mid=$(jq -r .id <<<"$msg")
	n=$(jq '.components[0].components | length' <<<"$msg")
	[ "$n" -ge 2 ] && [ "$n" -le 5 ] || fail "$n buttons"
	cid=$(jq -r '.components[0].components[1].custom_id' <<<"$msg")
	label=$(jq -r '.components[0].components[1].label' <<<"$msg")
	ctl interaction "$(jq -nc --arg m "$mid" --arg c "$cid" '{type: 3, channel_id: "55", message_id: $m, data: {custom_id: $c, component_type: 2}}')" >/dev/null
	wait_for 'events | grep -q "\"type\":\"button\""'
	run bash -c "grep '\"type\":\"button\"' ev.log | jq -r .channel"
	assert_output discord:55
	# acknowledged by updating the message: no components, the answer shown
	run bash -c "curl -sf $API/control/messages | jq -r '.\"55\"[] | select(.id==\"$mid\") | [(.components | length), .content] | @tsv'"
	assert_output --partial "0	"
	assert_output --partial "✓ $label"
	wait_for 'contents 55 | grep -q "Mock response"' 30
}

@test "an attachment in (0600, passed as files) and a file out (multipart)" {
	start_fake
	discord_config
	start_wired
	say 55 '/start local app'
	wait_for 'contents 55 | grep -q "Session ready"' 30
	head -c 3000 /dev/urandom > pic.png
	ctl message "$(jq -nc --arg p "$PWD/pic.png" '{channel_id: "55", content: "look at this", author: {id: "7", username: "alice"}, attachments: [{path: $p, filename: "pic.png", content_type: "image/png"}]}')" >/dev/null
	wait_for 'events | grep -q "pic.png"'
	path=$(grep 'pic.png' ev.log | jq -r '.files[0].path')
	run bash -c "grep 'pic.png' ev.log | jq -c '[.text, .files[0].name, .files[0].mime, .files[0].size]'"
	assert_output '["look at this","pic.png","image/png",3000]'
	[ "$(stat -c %a "$path")" = 600 ] || fail "mode $(stat -c %a "$path")"
	cmp pic.png "$path"
	case "$path" in "$HOME/downloads/discord-"*) ;; *) fail "path $path" ;; esac
	wait_for 'contents 55 | grep -q "Mock response"' 30
	# a file out: /get puts the peer's file into the chat
	printf 'result data\n' > "$HOME/Projects/app/out.txt"
	say 55 "/get $HOME/Projects/app/out.txt"
	wait_for 'get messages | jq -e "[.\"55\"[] | select(.attachments | length > 0) | select(.author.bot)] | length > 0" >/dev/null' 30
	run bash -c "curl -sf $API/control/messages | jq -c '[.\"55\"[] | select(.author.bot) | .attachments[]] | .[0]'"
	assert_output '{"filename":"out.txt","size":12}'
	run bash -c "curl -sf $API/control/calls | jq -r '[.[] | select(.body | type == \"object\" and has(\"files\"))][0].body.payload.attachments[0].filename'"
	assert_output out.txt
}

@test "the socket drops mid-reply: the bridge resumes and misses no event" {
	export MOCK_CLAUDE_DELAY=0.03
	start_fake --hello-interval 500
	discord_config
	start_wired
	say 55 '/start local app'
	wait_for 'contents 55 | grep -q "Session ready"' 30
	say 55 'count:120'
	wait_for 'contents 55 | grep -q "^1 2 3"' 20
	ctl drop '{}' >/dev/null
	say 55 'echo:after the drop'	# dispatched while no one is connected
	want=$(seq -s ' ' 120)
	wait_for 'contents 55 | grep -qx "$want"' 30
	wait_for 'contents 55 | grep -qx "after the drop"' 30
	run bash -c "curl -sf $API/control/gateway | jq -c '[.connections[].kind]'"
	assert_output '["gateway","resume"]'
	run bash -c "curl -sf $API/control/gateway | jq -c '[.log[] | select(.op==6) | .d.seq]'"
	[ "$output" != '[]' ] || fail "no RESUME"
	run grep -c '"text":"echo:after the drop"' ev.log
	assert_output 1
	run grep -c '"op":2' <(get gateway | jq -c '.log[]')
	assert_output 1	# identified once
}

@test "a zombie connection (no ACKs) is detected, closed and resumed; op 7 and op 9 too" {
	start_fake --hello-interval 300
	discord_config
	start_wired
	ctl zombie '{"on":true}' >/dev/null
	wait_for 'get gateway | jq -e "[.connections[] | select(.kind==\"resume\")] | length >= 1" >/dev/null'
	ctl zombie '{"on":false}' >/dev/null
	grep -q 'no heartbeat ACK' bridge.err
	say 55 '/help'
	wait_for 'contents 55 | grep -q "Codecast Commands"' 20
	n=$(get gateway | jq '.connections | length')
	ctl op '{"op":7}' >/dev/null
	wait_for "get gateway | jq -e '(.connections | length) > $n and .connections[-1].kind == \"resume\"' >/dev/null"
	n=$(get gateway | jq '.connections | length')
	ctl op '{"op":9,"d":false}' >/dev/null
	wait_for "get gateway | jq -e '[.log[] | select(.op==2)] | length == 2' >/dev/null" 15
	run bash -c "curl -sf $API/control/gateway | jq -r '.connections[-1].kind'"
	assert_output gateway	# a fresh identify at the gateway URL
	say 55 '/help'
	wait_for '[ "$(contents 55 | grep -c "Codecast Commands")" -eq 2 ]' 20
}

@test "a 429 on a route and a global 429 slow the bridge without losing or reordering; learnt buckets provoke none" {
	start_fake --route-limit 3 --route-window 0.5
	discord_config
	start_scripted
	ctl ratelimit '{"method":"POST","path_re":"^/channels/11/messages$","count":2,"retry_after":0.6}' >/dev/null
	ctl ratelimit '{"method":"POST","path_re":"^/channels/12/messages$","count":1,"retry_after":0.8,"global":true}' >/dev/null
	t0=$(date +%s.%N)
	for i in $(seq 1 12); do
		act "{\"op\":\"send\",\"channel\":\"discord:11\",\"ref\":\"a$i\",\"text\":\"a$i\"}"
		act "{\"op\":\"send\",\"channel\":\"discord:12\",\"ref\":\"b$i\",\"text\":\"b$i\"}"
	done
	wait_for '[ "$(contents 11 | wc -l)" -eq 12 ] && [ "$(contents 12 | wc -l)" -eq 12 ]' 20
	t1=$(date +%s.%N)
	run contents 11
	assert_output "$(printf 'a%s\n' $(seq 1 12))"
	run contents 12
	assert_output "$(printf 'b%s\n' $(seq 1 12))"
	run bash -c "curl -sf $API/control/calls | jq -c '[.[] | select(.status == 429) | .limited] | group_by(.) | map([.[0], length])'"
	assert_output '[["injected",3]]' || { get calls | jq -c '.[] | [.t, .path, .status, .limited]' | tail -40; false; }	# no route or global 429 provoked
	# 12 sends at 3 per 0.5 s is at least 1.5 s a channel
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 1.5) }' || fail "too fast"
	run events
	assert_output ''	# nothing failed
}

@test "allowed_channels: a thread by its parent, DMs, buttons and slash commands alike" {
	start_fake
	ctl channel '{"id":"70","type":0}' >/dev/null
	ctl channel '{"id":"71","type":11,"parent_id":"70"}' >/dev/null
	ctl channel '{"id":"72","type":11,"parent_id":"80"}' >/dev/null
	discord_config '    allowed_channels: [70]'
	start_scripted
	say 71 'in a thread of 70'
	say 72 'in a thread of 80'
	say 90 'in a DM not listed' 8 bob
	say 70 'in 70' 8 bob
	wait_for 'events | grep -q "in 70"'
	run bash -c 'grep -v hello ev.log | jq -c "[.channel, .text, .admin]"'
	assert_output '["discord:71","in a thread of 70",true]
["discord:70","in 70",false]'
	grep -q 'refused a message from user 8 in channel 90' bridge.err
	slash 90 help '[]' >/dev/null
	ctl interaction '{"type":3,"channel_id":"90","data":{"custom_id":"cc|q1|0","component_type":2}}' >/dev/null
	wait_for 'get interactions | jq -e "[.[] | select(.answered)] | length == 2" >/dev/null'
	run bash -c "curl -sf $API/control/interactions | jq -c '[.[] | .responses[0] | [.type, .data.flags, .data.content]]'"
	assert_output '[[4,64,"This channel is not configured for Codecast."],[4,64,"This channel is not configured for Codecast."]]'
	run bash -c 'grep -c "\"button\"" ev.log'
	assert_output 0
}

@test "4004 (a wrong token) and 4014 (intents) exit 5 naming the fix" {
	start_fake
	TOKEN=WRONG discord_config "    gateway_url: ws://127.0.0.1:$PORT/gateway"
	run timeout 20 cc-discord -c "$CODECAST_CONFIG" < <(sleep 15)
	assert_equal "$status" 5
	assert_output --partial 'gateway closed with 4004'
	assert_output --partial 'the bot token is wrong (bot.discord.token'
	cp "$BATS_TEST_TMPDIR/base.yaml" "$CODECAST_CONFIG"
	discord_config
	start_scripted
	ctl close '{"code":4014}' >/dev/null
	wait "$BRIDGE_PID" && st=0 || st=$?
	BRIDGE_PID=
	assert_equal "$st" 5
	grep -q 'enable the Message Content intent' bridge.err
}

@test "send, send - and send-file for scripts; a wrong token is 5, a refused send 1" {
	start_fake
	discord_config
	run cc-discord -c "$CODECAST_CONFIG" send 55 '**gpu-1** down'
	assert_success
	run bash -c "printf 'from stdin' | cc-discord -c \"$CODECAST_CONFIG\" send discord:55 -"
	assert_success
	printf 'x' > r.txt
	run cc-discord -c "$CODECAST_CONFIG" send-file 55 r.txt 'the caption'
	assert_success
	run bash -c "curl -sf $API/control/messages | jq -c '.\"55\"[] | [.content, (.attachments[0].filename // null)]'"
	assert_line -n 0 '["**gpu-1** down",null]'
	assert_line -n 1 '["from stdin",null]'
	assert_line -n 2 '["the caption","r.txt"]'
	ctl fail '{"method":"POST","path_re":"messages","count":1,"status":403,"code":50013,"message":"Missing Permissions"}' >/dev/null
	run cc-discord -c "$CODECAST_CONFIG" send 55 hi
	assert_equal "$status" 1
	assert_output --partial 'missing permissions'
	run cc-discord -c "$CODECAST_CONFIG" send notachannel hi
	assert_equal "$status" 2
	truncate -s 11M big.bin
	run cc-discord -c "$CODECAST_CONFIG" send-file 55 big.bin
	assert_equal "$status" 1
	assert_output --partial 'file too large'
	cp "$BATS_TEST_TMPDIR/base.yaml" "$CODECAST_CONFIG"
	TOKEN=WRONG discord_config
	run cc-discord -c "$CODECAST_CONFIG" send 55 hi
	assert_equal "$status" 5
	assert_output --partial 'the bot token is wrong'
}
