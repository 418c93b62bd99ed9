#!/usr/bin/env bats
# cc-lark against test/fakes/fake-lark (token, REST, the long connection with
# protobuf frames, the callback driver), wired to the real cc-engine,
# cc-daemon and the mock CLI on a local peer; a few edge tests use
# test/fakes/script-engine to write exact actions.

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

wait_for_diag() {
	echo "--- bridge"; cat bridge.err 2>/dev/null
	echo "--- engine"; tail -20 engine.err 2>/dev/null
}

# start_fake [fake-lark options]
start_fake() {
	fake-lark --port-file port --app-secret SECRET "$@" >/dev/null 2>fake.err &
	FAKE_PID=$!
	wait_for '[ -s port ]'
	PORT=$(cat port)
	API=http://127.0.0.1:$PORT
}

# lark_config [extra lines under bot.lark]
lark_config() {
	{
		printf 'file_forward:\n  enabled: true\n  download_dir: %s/downloads\n' "$HOME"
		printf 'bot:\n  lark:\n    app_id: cli_test\n    app_secret: "%s"\n' "${SECRET:-SECRET}"
		printf '    domain: %s\n    admin_users: [ou_alice]\n' "$API"
		printf '%s\n' "$@"
	} >>"$CODECAST_CONFIG"
}

# cc-lark <-> cc-engine, every event in ev.log, every action in act.log
start_wired() {
	rm -f l_out l_in e_in e_out
	mkfifo l_out l_in e_in e_out
	cc-lark -c "$CODECAST_CONFIG" "$@" >l_out <l_in 2>>bridge.err &
	BRIDGE_PID=$!
	tee ev.log <l_out >e_in &
	TEE1=$!
	cc-engine <e_in >e_out 2>>engine.err &
	ENGINE_PID=$!
	tee act.log <e_out >l_in &
	TEE2=$!
	wait_for 'grep -q "\"op\":\"commands\"" act.log'
	wait_for 'get connections | jq -e .connected >/dev/null'
}

# cc-lark <-> script-engine: actions appended to act, events in ev.log
start_scripted() {
	rm -f to_b from_b
	mkfifo to_b from_b
	touch act
	cc-lark -c "$CODECAST_CONFIG" "$@" <to_b >from_b 2>>bridge.err &
	BRIDGE_PID=$!
	script-engine --log ev.log --actions act >to_b <from_b &
	ENGINE_PID=$!
	wait_for 'grep -qs "\"hello\"" ev.log'
}

act() { printf '%s\n' "$1" >> act; }
ctl() { curl -sf -X POST "$API/control/$1" -d "$2"; }
get() { curl -sf "$API/control/$1"; }
# say CHAT TEXT [SENDER [extra JSON]]: a text message in a group chat
say() {
	ctl message "$(jq -nc --arg c "$1" --arg t "$2" --arg u "${3:-ou_alice}" \
	    --argjson x "${4:-{\}}" '{chat_id: $c, chat_type: "group", sender_open_id: $u,
	    message_type: "text", text: $t} + $x')"
}
# the bot's messages in a chat as the person sees them, one line each
contents() {
	get messages | jq -r --arg c "$1" '[.[] | select(.chat_id == $c and
	    .sender.sender_type == "app" and (.recalled | not))][] | (.content | fromjson) as $x |
	    if .msg_type == "interactive" then ([$x.elements[]? | select(.tag == "markdown") |
	    .content] | join(" / ")) elif .msg_type == "post" then ([$x.zh_cn.content[][]? |
	    .text // ""] | join("")) else .msg_type end'
}
events() { grep -v '"hello"' ev.log 2>/dev/null || true; }
# evjq FILTER: each event (hello aside) through jq -c FILTER
evjq() { events | jq -c "$1"; }

@test "hello; pings at the server's interval; a group message that @-mentions the bot starts a session; the reply streams into a card updated in place" {
	export MOCK_CLAUDE_DELAY=0.02
	start_fake --ping-interval 1
	lark_config
	start_wired --edit-interval 0.5
	run head -1 ev.log
	assert_output '{"type":"hello","platform":"lark","max_len":10000,"can_edit":true,"edit_interval":0.5,"buttons":true,"files":true,"max_file":31457280}'
	say oc_g '@_user_1 /start local app' ou_alice '{"mentions":[{"key":"@_user_1","open_id":"ou_bot","name":"Codecast"}]}' >/dev/null
	wait_for 'contents oc_g | grep -q "Session ready"' 30
	run bash -c "grep '\"type\":\"message\"' ev.log | jq -c '[.channel, .user, .admin, .text]'"
	assert_output '["lark:oc_g","ou_alice",true,"/start local app"]'
	say oc_g 'count:60' >/dev/null
	want=$(seq -s ' ' 60)
	wait_for '[ "$(contents oc_g | tail -1)" = "$want" ]' 30
	# one card, patched in place (more than once), never a second message
	run bash -c "curl -sf $API/control/messages | jq '[.[] | select(.msg_type == \"interactive\" and (.content | fromjson | .elements[0].content) == \"$want\")] | .[0].patches'"
	[ "$output" -ge 2 ] || fail "patches: $output"
	run bash -c "curl -sf $API/control/calls | jq -r '[.[] | select(.method == \"PATCH\")] | length'"
	[ "$output" -ge 2 ] || fail "PATCH calls: $output"
	run bash -c "curl -sf $API/control/calls | jq '[.[] | select(.status >= 400)] | length'"
	assert_output 0
	# every event acknowledged in time with its headers; pings about a second apart
	run bash -c "curl -sf $API/control/events | jq -c '[.[] | [.acked, .ack_headers_ok]] | unique'"
	assert_output '[[true,true]]'
	run bash -c "curl -sf $API/control/pings | jq '.count >= 3 and ([.pings[] | select(.service != 7)] | length == 0)'"
	assert_output true
	run bash -c "curl -sf $API/control/pings | jq '[.times | . as \$t | range(1; length) | \$t[.] - \$t[. - 1]] | all(. > 0.7 and . < 1.5)'"
	assert_output true
}

@test "a question answered by a card button: toast, the card shows the choice, the answer reaches the AI" {
	start_fake
	lark_config
	start_wired
	say oc_q '/start local app' >/dev/null
	wait_for 'contents oc_q | grep -q "Session ready"' 30
	say oc_q 'ask' >/dev/null
	wait_for 'get messages | jq -e "[.[] | select(.chat_id == \"oc_q\" and .msg_type == \"interactive\" and (.content | test(\"\\\"action\\\"\")))] | length == 1" >/dev/null' 20
	card=$(get messages | jq -c '[.[] | select(.chat_id == "oc_q" and (.content | test("\"action\"")))][0]')
	mid=$(jq -r .message_id <<<"$card")
	buttons=$(jq -c '.content | fromjson | [.elements[] | select(.tag == "action") | .actions[]]' <<<"$card")
	[ "$(jq length <<<"$buttons")" -ge 2 ] || fail "buttons: $buttons"
	value=$(jq -c '.[1].value' <<<"$buttons")
	label=$(jq -r '.[1].text.content' <<<"$buttons")
	ctl card "$(jq -nc --arg m "$mid" --argjson v "$value" '{chat_id: "oc_q", open_message_id: $m, operator_open_id: "ou_alice", value: $v}')" >/dev/null
	wait_for 'events | grep -q "\"type\":\"button\""'
	run bash -c "grep '\"type\":\"button\"' ev.log | jq -c '[.channel, .user, .value]'"
	assert_output "[\"lark:oc_q\",\"ou_alice\",$(jq -c .v <<<"$value")]"
	# acked with a toast; the card now shows the choice and no buttons
	run bash -c "curl -sf $API/control/events | jq -r '[.[] | select(.type == \"card\")][0] | .acks[0].response.toast.type'"
	assert_output success
	run bash -c "curl -sf $API/control/messages | jq -r '.\"$mid\".content | fromjson | [.elements[] | .tag] | join(\",\")'"
	refute_output --partial action
	run bash -c "curl -sf $API/control/messages | jq -r '.\"$mid\".content | fromjson | [.elements[].content // empty] | join(\" \")'"
	assert_output --partial "✓ $label"
	wait_for 'contents oc_q | grep -q "Mock response"' 30
	# a second press on the closed question: a warning toast, no event
	ctl card "$(jq -nc --arg m "$mid" --argjson v "$value" '{chat_id: "oc_q", open_message_id: $m, operator_open_id: "ou_alice", value: $v}')" >/dev/null
	wait_for 'get events | jq -e "[.[] | select(.type == \"card\")][1].acked" >/dev/null'
	run bash -c "curl -sf $API/control/events | jq -r '[.[] | select(.type == \"card\")][1].acks[0].response.toast.type'"
	assert_output warning
	run grep -c '"type":"button"' ev.log
	assert_output 1
}

@test "an image in (downloaded 0600, passed as files) and a file out (upload, then a file message)" {
	start_fake
	lark_config
	start_wired
	say oc_f '/start local app' >/dev/null
	wait_for 'contents oc_f | grep -q "Session ready"' 30
	head -c 3000 /dev/urandom > pic.png
	ctl message "$(jq -nc --arg p "$PWD/pic.png" '{chat_id: "oc_f", chat_type: "p2p", sender_open_id: "ou_alice", message_type: "image", image_path: $p}')" >/dev/null
	wait_for 'events | grep -q "\"files\":\[{"'
	path=$(grep '"files":\[{' ev.log | jq -r '.files[0].path')
	run bash -c "grep '\"files\":\[{' ev.log | jq -c '[.text, .files[0].mime, .files[0].size]'"
	assert_output '["","image/png",3000]'
	[ "$(stat -c %a "$path")" = 600 ] || fail "mode $(stat -c %a "$path")"
	cmp pic.png "$path"
	case "$path" in "$HOME/downloads/lark-img_"*.png) ;; *) fail "path $path" ;; esac
	run bash -c "curl -sf $API/control/calls | jq -r '[.[] | select(.path | test(\"/resources/\"))][0] | [.method, .query.type] | @tsv'"
	assert_output "GET	image"
	# a file out: /get puts the peer's file into the chat
	printf 'result data\n' > "$HOME/Projects/app/out.txt"
	say oc_f "/get $HOME/Projects/app/out.txt" >/dev/null
	wait_for 'get messages | jq -e "[.[] | select(.chat_id == \"oc_f\" and .msg_type == \"file\")] | length == 1" >/dev/null' 30
	run bash -c "curl -sf $API/control/calls | jq -c '[.[] | select(.path == \"/open-apis/im/v1/files\")][0].body | [.file_type, .file_name, .file.filename, .file.size]'"
	assert_output '["stream","out.txt","out.txt",12]'
	run bash -c "curl -sf $API/control/messages | jq -r '[.[] | select(.msg_type == \"file\")][0].content | fromjson | .file_key'"
	assert_output --regexp '^file_'
}

@test "a fragmented event is put back together; a redelivered event is acknowledged and ignored" {
	start_fake
	lark_config
	start_scripted
	wait_for 'get connections | jq -e .connected >/dev/null'
	long=$(printf 'x%.0s' $(seq 3000))
	say oc_1 "frag $long" ou_bob '{"fragments":4}' >/dev/null
	wait_for 'events | grep -q "frag x"'
	run evjq '.text | length' 
	assert_output 3005
	run bash -c "curl -sf $API/control/events | jq -c '.[0] | [.deliveries[0].fragments, .acked, .ack_headers_ok]'"
	assert_output '[4,true,true]'
	eid=$(say oc_1 'only once' | jq -r .event_id)
	wait_for 'events | grep -q "only once"'
	ctl redeliver "{\"event_id\":\"$eid\"}" >/dev/null
	wait_for "get events | jq -e '.[] | select(.event_id == \"$eid\") | (.deliveries | length) == 2 and (.acks | length) == 2' >/dev/null"
	sleep 0.3
	run grep -c 'only once' ev.log
	assert_output 1
}

@test "the socket drops mid-reply: the bridge reconnects, no event lost or handled twice" {
	export MOCK_CLAUDE_DELAY=0.03
	start_fake --reconnect-interval 1 --reconnect-nonce 0
	lark_config
	start_wired
	say oc_d '/start local app' >/dev/null
	wait_for 'contents oc_d | grep -q "Session ready"' 30
	say oc_d 'count:100' >/dev/null
	wait_for 'contents oc_d | grep -q "^1 2 3"' 20
	ctl drop '{}' >/dev/null
	say oc_d 'echo:after the drop' >/dev/null	# pushed while no one is connected
	want=$(seq -s ' ' 100)
	wait_for 'contents oc_d | grep -qx "$want"' 30
	wait_for 'contents oc_d | grep -qx "after the drop"' 30
	run bash -c "curl -sf $API/control/connections | jq '.connections | length'"
	assert_output 2
	grep -q 'long connection closed' bridge.err
	run grep -c '"text":"echo:after the drop"' ev.log
	assert_output 1
	run bash -c "curl -sf $API/control/events | jq -c '[.[] | .acked] | unique'"
	assert_output '[true]'
}

@test "a token expiring mid-conversation is fetched again; a revoked one is replaced and the call made again" {
	start_fake --token-expire 3
	lark_config
	start_wired
	say oc_t '/start local app' >/dev/null
	wait_for 'contents oc_t | grep -q "Session ready"' 30
	sleep 3.2	# the first token is past its time
	say oc_t 'echo:second' >/dev/null
	wait_for 'contents oc_t | grep -qx "second"' 30
	run bash -c "curl -sf $API/control/tokens | jq length"
	[ "$output" -ge 2 ] || fail "tokens: $output"
	ctl expire_tokens '{}' >/dev/null
	say oc_t 'echo:third' >/dev/null
	wait_for 'contents oc_t | grep -qx "third"' 30
	run bash -c "curl -sf $API/control/calls | jq '[.[] | select(.code == 99991663)] | length'"
	[ "$output" -ge 1 ] || fail "no call met the revoked token"
	run bash -c "curl -sf $API/control/calls | jq -c '[.[] | select(.code == 99991663 or .code == 99991661)] | map(.path) | unique'"
	refute_output --partial tenant_access_token
	run events
	refute_output --partial '"failed"' 
}

@test "posts: edited with PUT; past the edit limit the reply continues in a new message; delete recalls" {
	start_fake
	lark_config '    use_cards: false'
	ctl chat '{"chat_id":"oc_p","chat_type":"group"}' >/dev/null
	start_scripted --edit-interval 0.05
	act '{"op":"send","channel":"lark:oc_p","ref":"r1","text":"v0"}'
	for i in $(seq 1 24); do
		act "{\"op\":\"edit\",\"ref\":\"r1\",\"text\":\"**v$i**\"}"
		sleep 0.3
	done
	wait_for '[ "$(contents oc_p)" = "v24" ]' 20
	run bash -c "curl -sf $API/control/calls | jq -r '[.[] | select(.method == \"PUT\")] | length'"
	[ "$output" -ge 20 ] || fail "PUTs: $output"
	run bash -c "curl -sf $API/control/messages | jq -c '[.[] | select(.chat_id == \"oc_p\")] | map([.msg_type, .edits, .recalled])'"
	assert_output '[["post",20,true],["post",3,false]]'
	run bash -c "curl -sf $API/control/messages | jq -c '[.[] | select(.chat_id == \"oc_p\")][1].content | fromjson | .zh_cn.content[0][0]'"
	assert_output '{"tag":"text","text":"v24","style":["bold"]}'
	act '{"op":"delete","ref":"r1"}'
	wait_for '[ -z "$(contents oc_p)" ]'
	run events
	assert_output ''
}

@test "rate limits: a 429 waits for x-ogw-ratelimit-reset, 230020 holds the chat; edits waiting are coalesced; order kept" {
	start_fake --chat-qps 2
	lark_config
	ctl chat '{"chat_id":"oc_r","chat_type":"group"}' >/dev/null
	start_scripted
	ctl ratelimit '{"method":"POST","path_re":"/im/v1/messages$","count":1,"reset":1}' >/dev/null
	t0=$(date +%s.%N)
	for i in $(seq 1 6); do
		act "{\"op\":\"send\",\"channel\":\"lark:oc_r\",\"ref\":\"s$i\",\"text\":\"m$i\"}"
	done
	for i in $(seq 1 10); do act "{\"op\":\"edit\",\"ref\":\"s1\",\"text\":\"m1 edit $i\"}"; done
	wait_for '[ "$(contents oc_r | wc -l)" -eq 6 ] && contents oc_r | grep -qx "m1 edit 10"' 20
	t1=$(date +%s.%N)
	run contents oc_r
	assert_output "$(printf 'm1 edit 10\nm2\nm3\nm4\nm5\nm6')"
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 1) }' || fail "the 429's reset was not waited for"
	run bash -c "curl -sf $API/control/calls | jq '[.[] | select(.method == \"PATCH\")] | length'"
	[ "$output" -lt 10 ] || fail "edits not coalesced: $output PATCHes"
	run events
	assert_output ''
}

@test "allowed_chats gates messages and presses; messages from apps are ignored" {
	start_fake
	lark_config '    allowed_chats: [oc_ok]'
	start_scripted
	wait_for 'get connections | jq -e .connected >/dev/null'
	say oc_no 'not here' ou_bob >/dev/null
	say oc_ok 'from a bot' ou_x '{"sender_type":"app"}' >/dev/null
	say oc_ok 'here' ou_bob >/dev/null
	ctl card '{"chat_id":"oc_no","open_message_id":"om_1","operator_open_id":"ou_bob","value":{"cc":"q1","v":"0"}}' >/dev/null
	wait_for 'events | grep -q "here"'
	wait_for 'get events | jq -e "all(.acked)" >/dev/null'
	run evjq '[.channel, .text, .admin]'
	assert_output '["lark:oc_ok","here",false]'
	grep -q 'refused a message from ou_bob in oc_no' bridge.err
	run bash -c "curl -sf $API/control/events | jq -r '[.[] | select(.type == \"card\")][0].acks[0].response.toast.type'"
	assert_output error
}

@test "callback mode: the challenge answered, a signed encrypted event passed on, a forged signature and a wrong token refused, a repeat ignored" {
	start_fake
	lark_config '    mode: callback' '    port: 0' '    encrypt_key: EKEY' '    verification_token: VTOK'
	start_scripted --port-file cbport
	wait_for '[ -s cbport ]'
	url=http://127.0.0.1:$(cat cbport)/webhook/event
	run ctl callback "{\"url\":\"$url\",\"challenge\":true,\"challenge_value\":\"c123\",\"encrypt_key\":\"EKEY\",\"verification_token\":\"VTOK\"}"
	assert_success
	run jq -c '[.status, (.body | fromjson)]' <<<"$output"
	assert_output '[200,{"challenge":"c123"}]'
	ev='{"sender":{"sender_id":{"open_id":"ou_alice"},"sender_type":"user"},"message":{"message_id":"om_c1","chat_id":"oc_cb","chat_type":"p2p","message_type":"text","content":"{\"text\":\"signed\"}"}}'
	run ctl callback "{\"url\":\"$url\",\"event\":$ev,\"event_id\":\"ev1\",\"encrypt_key\":\"EKEY\",\"verification_token\":\"VTOK\"}"
	assert_equal "$(jq .status <<<"$output")" 200
	ev2=${ev//signed/forged}
	ev2=${ev2//om_c1/om_c2}
	run ctl callback "{\"url\":\"$url\",\"event\":$ev2,\"encrypt_key\":\"EKEY\",\"verification_token\":\"VTOK\",\"forge_signature\":true}"
	assert_equal "$(jq .status <<<"$output")" 401
	ev3=${ev//signed/wrong token}
	ev3=${ev3//om_c1/om_c3}
	run ctl callback "{\"url\":\"$url\",\"event\":$ev3,\"encrypt_key\":\"EKEY\",\"verification_token\":\"NOT\"}"
	assert_equal "$(jq .status <<<"$output")" 401
	run ctl callback "{\"url\":\"$url\",\"event\":$ev,\"event_id\":\"ev1\",\"encrypt_key\":\"EKEY\",\"verification_token\":\"VTOK\"}"
	assert_equal "$(jq .status <<<"$output")" 200
	sleep 0.3
	run evjq '[.channel, .text]'
	assert_output '["lark:oc_cb","signed"]'
	grep -q 'the signature does not match' bridge.err
	# the engine's answer goes out through the REST API as always
	ctl chat '{"chat_id":"oc_cb","chat_type":"p2p"}' >/dev/null
	act '{"op":"send","channel":"lark:oc_cb","ref":"a1","text":"got it"}'
	wait_for '[ "$(contents oc_cb)" = "got it" ]'
}

@test "refusals exit 5 naming the fix: bad secret, a refused discovery, a 403 upgrade; too many connections 6" {
	start_fake
	SECRET=WRONG lark_config
	run timeout 20 cc-lark -c "$CODECAST_CONFIG" check
	assert_equal "$status" 5
	assert_output --partial 'credentials were refused (code 10014'
	run timeout 20 cc-lark -c "$CODECAST_CONFIG" send oc_1 hi
	assert_equal "$status" 5
	cp "$BATS_TEST_TMPDIR/base.yaml" "$CODECAST_CONFIG"
	lark_config
	run cc-lark -c "$CODECAST_CONFIG" check
	assert_success
	assert_output --partial 'ok: app cli_test'
	ctl endpoint_error '{"code":1000040344,"count":1}' >/dev/null
	run timeout 20 cc-lark -c "$CODECAST_CONFIG" < <(sleep 15)
	assert_equal "$status" 5
	assert_output --partial 'long connection refused (code 1000040344'
	ctl refuse_upgrade '{"status":403,"autherrcode":1000040345,"msg":"auth failed","count":1}' >/dev/null
	run timeout 20 cc-lark -c "$CODECAST_CONFIG" < <(sleep 15)
	assert_equal "$status" 5
	assert_output --partial 'long connection refused (HTTP 403, autherrcode 1000040345: auth failed)'
	ctl refuse_upgrade '{"status":514,"autherrcode":1000040350,"msg":"too many","count":1}' >/dev/null
	run timeout 20 cc-lark -c "$CODECAST_CONFIG" < <(sleep 15)
	assert_equal "$status" 6
	assert_output --partial 'too many connections'
	# busy (code 1) and a non-fatal refusal are retried
	ctl endpoint_error '{"code":1,"count":1}' >/dev/null
	ctl refuse_upgrade '{"status":500,"msg":"later","count":1}' >/dev/null
	start_scripted
	wait_for 'get connections | jq -e .connected >/dev/null' 15
	kill -0 "$BRIDGE_PID"
}

@test "send, send - and send-file for scripts; a refused send is 1, a chat that is not one 2, an empty file failed" {
	start_fake
	lark_config
	ctl chat '{"chat_id":"oc_s","chat_type":"group"}' >/dev/null
	run cc-lark -c "$CODECAST_CONFIG" send oc_s '**gpu-1** down'
	assert_success
	run bash -c "printf 'from stdin' | cc-lark -c \"$CODECAST_CONFIG\" send lark:oc_s -"
	assert_success
	head -c 500 /dev/urandom > plot.png
	run cc-lark -c "$CODECAST_CONFIG" send-file oc_s plot.png 'the loss'
	assert_success
	run contents oc_s
	assert_output "$(printf '%s\n' '**gpu-1** down' 'from stdin' image 'the loss')"
	run bash -c "curl -sf $API/control/calls | jq -r '[.[] | select(.path == \"/open-apis/im/v1/images\")][0].body.image_type'"
	assert_output message
	run cc-lark -c "$CODECAST_CONFIG" send oc_nobot hi
	assert_equal "$status" 1
	assert_output --partial 'send: '
	run cc-lark -c "$CODECAST_CONFIG" send 'not a chat!' hi
	assert_equal "$status" 2
	: > empty.txt
	run cc-lark -c "$CODECAST_CONFIG" send-file oc_s empty.txt
	assert_equal "$status" 1
	assert_output --partial 'empty'
}
