#!/usr/bin/env bats
# test/fakes/fake-lark itself, driven with curl and test/fakes/lark-ws-probe
# (a small long-connection client with its own protobuf codec): the token,
# the IM REST routes and their validation, uploads and downloads, rate
# limits, the discovery, the WebSocket frames (ping/pong, events, fragments,
# acks, queueing, redelivery) and the callback-mode driver.

load lib/common.bash

setup() {
	cc_setup_home
	PATH="$BATS_TEST_DIRNAME/fakes:$PATH"
	FAKE_PID= PROBE_PID= RECV_PID=
}

teardown() {
	for p in $PROBE_PID $RECV_PID $FAKE_PID; do
		kill "$p" 2>/dev/null || true
	done
	for p in $PROBE_PID $RECV_PID $FAKE_PID; do
		wait "$p" 2>/dev/null || true
	done
}

# start_fake [fake-lark options]
start_fake() {
	fake-lark --port-file port "$@" >/dev/null 2>fake.err &
	FAKE_PID=$!
	wait_for '[ -s port ]'
	PORT=$(cat port)
	API=http://127.0.0.1:$PORT
}

ctl() { curl -sf -X POST "$API/control/$1" -d "$2"; }
get() { curl -sf "$API/control/$1"; }

get_token() {	# [secret]
	curl -sf -X POST "$API/open-apis/auth/v3/tenant_access_token/internal" \
	    -H 'Content-Type: application/json; charset=utf-8' \
	    -d "$(jq -nc --arg s "${1:-test_secret}" '{app_id: "cli_test", app_secret: $s}')"
}

login() { TOKEN=$(get_token | jq -r .tenant_access_token); }

# lark METHOD PATH [JSON | @FILE]: prints the HTTP status; the body in resp.json,
# the headers in resp.hdr
lark() {
	curl -s -o resp.json -D resp.hdr -w '%{http_code}' -X "$1" \
	    ${TOKEN:+-H "Authorization: Bearer $TOKEN"} \
	    -H 'Content-Type: application/json; charset=utf-8' \
	    ${3:+--data-binary "$3"} "$API$2"
}
code() { jq -r .code resp.json; }

# send CHAT MSG_TYPE CONTENT-STRING [receive_id_type]
send() {
	lark POST "/open-apis/im/v1/messages?receive_id_type=${4:-chat_id}" \
	    "$(jq -nc --arg c "$1" --arg t "$2" --arg x "$3" '{receive_id: $c, msg_type: $t, content: $x}')"
}

text() { jq -nc --arg t "$1" '{text: $t}'; }
post() { jq -nc --arg t "$1" '{zh_cn: {title: "", content: [[{tag: "text", text: $t}]]}}'; }

# start_probe [lark-ws-probe options]: output in probe.out
start_probe() {
	lark-ws-probe --domain "$API" "$@" >probe.out 2>probe.err &
	PROBE_PID=$!
	wait_for 'grep -q "\"kind\": \"open\"" probe.out'
}
pevents() { jq -c 'select(.kind == "event")' probe.out; }
pframes() { jq -c 'select(.kind == "frame")' probe.out; }
pdata() { jq -c 'select(.kind == "frame" and .method == 1)' probe.out; }

@test "token: issued, reused while fresh, checked on every call (99991661, 99991663), expired in time and on demand; bad secret 10014" {
	start_fake --token-expire 2
	run get_token wrong
	assert_success
	assert_equal "$(jq -c '[.code, .msg, has("tenant_access_token")]' <<<"$output")" '[10014,"app secret invalid",false]'
	run get_token
	assert_equal "$(jq -c '[.code, .msg, .expire]' <<<"$output")" '[0,"ok",2]'
	TOKEN=$(jq -r .tenant_access_token <<<"$output")
	[[ $TOKEN == t-* ]] || fail "token $TOKEN"
	ctl chat '{"chat_id": "oc_a"}' >/dev/null
	run send oc_a text "$(text hi)"
	assert_output 200
	assert_equal "$(code)" 0
	# missing, then unknown
	t=$TOKEN TOKEN=
	run send oc_a text "$(text hi)"
	assert_output 400
	assert_equal "$(code)" 99991661
	TOKEN=t-bogus
	run send oc_a text "$(text hi)"
	assert_output 400
	assert_equal "$(code)" 99991663
	# expired after --token-expire
	TOKEN=$t
	sleep 2.2
	run send oc_a text "$(text hi)"
	assert_output 400
	assert_equal "$(code)" 99991663
	login
	[ "$TOKEN" != "$t" ] || fail "the expired token was issued again"
	run send oc_a text "$(text hi)"
	assert_output 200
	# expire_tokens: every issued token dies at once
	ctl expire_tokens '{}' >/dev/null
	run send oc_a text "$(text hi)"
	assert_equal "$(code)" 99991663
	run bash -c "curl -sf $API/control/tokens | jq -c '[.[] | .valid] | unique'"
	assert_output '[false]'
}

@test "token: the same token again while more than 30 minutes of it are left" {
	start_fake
	a=$(get_token)
	sleep 1.1
	b=$(get_token)
	assert_equal "$(jq -r .tenant_access_token <<<"$a")" "$(jq -r .tenant_access_token <<<"$b")"
	[ "$(jq .expire <<<"$b")" -lt 7200 ] || fail "expire $(jq .expire <<<"$b")"
	ctl expire_tokens '{}' >/dev/null
	c=$(get_token)
	[ "$(jq -r .tenant_access_token <<<"$c")" != "$(jq -r .tenant_access_token <<<"$a")" ] || fail "revoked token reissued"
}

@test "send: receive_id_type required, content a JSON string that fits msg_type, the chat known (230002), size limits (230025); stored and recorded" {
	start_fake --chat-qps 100
	login
	ctl chat '{"chat_id": "oc_a"}' >/dev/null
	run lark POST /open-apis/im/v1/messages '{"receive_id":"oc_a","msg_type":"text","content":"{\"text\":\"x\"}"}'
	assert_output 400
	assert_equal "$(jq -c '[.code, .error.field_violations[0].field]' resp.json)" '[99992402,"receive_id_type"]'
	# content an object, not a string
	run lark POST '/open-apis/im/v1/messages?receive_id_type=chat_id' '{"receive_id":"oc_a","msg_type":"text","content":{"text":"x"}}'
	assert_output 400
	assert_equal "$(jq -c '[.code, .error.field_violations[0].field]' resp.json)" '[99992402,"content"]'
	# a string that is not JSON, or JSON of another type
	run send oc_a text 'plain words'
	assert_output 400
	assert_equal "$(code)" 230001
	run send oc_a text "$(post hello)"
	assert_equal "$(code)" 230001
	run send oc_a post "$(text hello)"
	assert_equal "$(code)" 230001
	# an unknown chat
	run send oc_nowhere text "$(text hi)"
	assert_output 400
	assert_equal "$(code)" 230002
	# post <= 30 KB (bytes of the content string), text <= 150 KB: CJK counts 3 bytes
	cjk=$(/usr/bin/python3 -c 'print("字" * 10300)')	# 30900 bytes > 30720
	run send oc_a post "$(post "$cjk")"
	assert_output 400
	assert_equal "$(code)" 230025
	small=$(/usr/bin/python3 -c 'print("字" * 10000)')
	run send oc_a post "$(post "$small")"
	assert_output 200
	run send oc_a text "$(text "$cjk")"
	assert_output 200
	# (the body through a file: it is longer than an argument may be)
	/usr/bin/python3 -c 'import json; print(json.dumps({"receive_id": "oc_a", "msg_type": "text", "content": json.dumps({"text": "a" * 153600})}))' >big.json
	run lark POST '/open-apis/im/v1/messages?receive_id_type=chat_id' @big.json
	assert_output 400
	assert_equal "$(code)" 230025
	# a good one: stored by om_ id, the call recorded
	run send oc_a post "$(post 'hello **world**')"
	assert_output 200
	mid=$(jq -r .data.message_id resp.json)
	[[ $mid == om_* ]] || fail "message id $mid"
	assert_equal "$(jq -c '.data | [.chat_id, .msg_type, .sender.sender_type]' resp.json)" '["oc_a","post","app"]'
	run bash -c "curl -sf $API/control/messages | jq -c '.\"$mid\" | [.chat_id, .msg_type, (.content | fromjson | .zh_cn.content[0][0].text), .edits, .recalled]'"
	assert_output '["oc_a","post","hello **world**",0,false]'
	run bash -c "curl -sf $API/control/calls | jq -c '[.[] | select(.path == \"/open-apis/im/v1/messages\") | [.status, .code]] | .[-1], (map(.[1]) | unique)'"
	assert_line -n 0 '[200,0]'
	assert_line -n 1 '[0,230001,230002,230025,99992402]'
	# to a user by open_id: the p2p chat of someone who wrote to the bot
	run send ou_ann text "$(text hi)" open_id
	assert_output 400
	assert_equal "$(code)" 230013
	ctl message '{"chat_id": "oc_p2p_ann", "chat_type": "p2p", "sender_open_id": "ou_ann", "text": "hello"}' >/dev/null
	run send ou_ann text "$(text hi)" open_id
	assert_output 200
	assert_equal "$(jq -r .data.chat_id resp.json)" oc_p2p_ann
	# uuid: the same message again, not a second one
	u='{"receive_id":"oc_a","msg_type":"text","content":"{\"text\":\"once\"}","uuid":"u-1"}'
	lark POST '/open-apis/im/v1/messages?receive_id_type=chat_id' "$u" >/dev/null
	a=$(jq -r .data.message_id resp.json)
	lark POST '/open-apis/im/v1/messages?receive_id_type=chat_id' "$u" >/dev/null
	assert_equal "$(jq -r .data.message_id resp.json)" "$a"
}

@test "edits: PUT text/post only, 20 at most (230072); PATCH only update_multi cards; DELETE recalls; reply" {
	start_fake --chat-qps 100
	login
	ctl chat '{"chat_id": "oc_a"}' >/dev/null
	send oc_a text "$(text v0)" >/dev/null
	mid=$(jq -r .data.message_id resp.json)
	for i in $(seq 20); do
		s=$(lark PUT "/open-apis/im/v1/messages/$mid" "$(jq -nc --arg c "$(post "v$i")" '{msg_type: "post", content: $c}')")
		[ "$s" = 200 ] || fail "edit $i: $s $(cat resp.json)"
	done
	run lark PUT "/open-apis/im/v1/messages/$mid" "$(jq -nc --arg c "$(text v21)" '{msg_type: "text", content: $c}')"
	assert_output 400
	assert_equal "$(code)" 230072
	run bash -c "curl -sf $API/control/messages | jq -c '.\"$mid\" | [.edits, .msg_type, (.content | fromjson | .zh_cn.content[0][0].text)]'"
	assert_output '[20,"post","v20"]'
	# a card: PUT refused, PATCH needs update_multi on both cards
	card='{"config":{"update_multi":true},"elements":[{"tag":"markdown","content":"a"}]}'
	send oc_a interactive "$card" >/dev/null
	cid=$(jq -r .data.message_id resp.json)
	run lark PUT "/open-apis/im/v1/messages/$cid" "$(jq -nc --arg c "$(text x)" '{msg_type: "text", content: $c}')"
	assert_output 400
	assert_equal "$(code)" 230001
	run lark PATCH "/open-apis/im/v1/messages/$cid" "$(jq -nc '{content: "{\"elements\":[]}"}')"
	assert_output 400
	assert_equal "$(code)" 230001
	run lark PATCH "/open-apis/im/v1/messages/$cid" "$(jq -nc --arg c '{"config":{"update_multi":true},"elements":[{"tag":"markdown","content":"b"}]}' '{content: $c}')"
	assert_output 200
	assert_equal "$(code)" 0
	run bash -c "curl -sf $API/control/messages | jq -r '.\"$cid\".content | fromjson | .elements[0].content'"
	assert_output b
	# a card that is not shared cannot be patched
	send oc_a interactive '{"elements":[{"tag":"markdown","content":"a"}]}' >/dev/null
	nid=$(jq -r .data.message_id resp.json)
	run lark PATCH "/open-apis/im/v1/messages/$nid" "$(jq -nc --arg c "$card" '{content: $c}')"
	assert_output 400
	# PATCH on a text message refused
	run lark PATCH "/open-apis/im/v1/messages/$mid" "$(jq -nc --arg c "$card" '{content: $c}')"
	assert_output 400
	assert_equal "$(code)" 230001
	# a user's message is not the bot's to edit
	ctl message '{"chat_id": "oc_a", "text": "mine"}' >/dev/null
	umid=$(get messages | jq -r 'to_entries[] | select(.value.sender.sender_type == "user") | .key')
	run lark PUT "/open-apis/im/v1/messages/$umid" "$(jq -nc --arg c "$(text x)" '{msg_type: "text", content: $c}')"
	assert_equal "$(code)" 230071
	# reply, then recall
	run lark POST "/open-apis/im/v1/messages/$umid/reply" "$(jq -nc --arg c "$(text re)" '{msg_type: "text", content: $c}')"
	assert_output 200
	assert_equal "$(jq -c '.data | [.chat_id, .parent_id, .root_id]' resp.json)" "[\"oc_a\",\"$umid\",\"$umid\"]"
	run lark DELETE "/open-apis/im/v1/messages/$mid"
	assert_output 200
	run bash -c "curl -sf $API/control/messages | jq '.\"$mid\".recalled'"
	assert_output true
	run lark PUT "/open-apis/im/v1/messages/$mid" "$(jq -nc --arg c "$(text x)" '{msg_type: "text", content: $c}')"
	assert_equal "$(code)" 230011
	run lark DELETE /open-apis/im/v1/messages/om_999999
	assert_output 400
	assert_equal "$(code)" 230001
}

@test "uploads (multipart) and resource downloads: keys, limits, the bytes back" {
	start_fake
	login
	head -c 5000 /dev/urandom >pic.png
	head -c 7000 /dev/urandom >doc.bin
	: >empty
	up() { curl -s -o resp.json -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$@"; }
	run up -F image_type=message -F image=@pic.png "$API/open-apis/im/v1/images"
	assert_output 200
	img=$(jq -r .data.image_key resp.json)
	[[ $img == img_* ]] || fail "image key $img"
	run up -F image_type=message -F image=@empty "$API/open-apis/im/v1/images"
	assert_output 400
	assert_equal "$(code)" 234010
	run up -F image_type=bogus -F image=@pic.png "$API/open-apis/im/v1/images"
	assert_equal "$(code)" 234001
	head -c $((10 * 1024 * 1024 + 1)) /dev/zero >huge
	run up -F image_type=message -F image=@huge "$API/open-apis/im/v1/images"
	assert_equal "$(code)" 234006
	run up -F file_type=stream -F file_name=doc.bin -F file=@doc.bin "$API/open-apis/im/v1/files"
	assert_output 200
	fk=$(jq -r .data.file_key resp.json)
	[[ $fk == file_* ]] || fail "file key $fk"
	run up -F file_type=exe -F file_name=doc.bin -F file=@doc.bin "$API/open-apis/im/v1/files"
	assert_equal "$(code)" 234001
	run up -F file_type=stream -F file=@doc.bin "$API/open-apis/im/v1/files"
	assert_equal "$(code)" 234001
	run bash -c "curl -sf $API/control/calls | jq -c '[.[] | select(.path == \"/open-apis/im/v1/files\")][0].body'"
	assert_output "{\"file_type\":\"stream\",\"file_name\":\"doc.bin\",\"file\":{\"filename\":\"doc.bin\",\"size\":7000}}"
	# the uploaded keys make image and file messages, whose resources download
	ctl chat '{"chat_id": "oc_a"}' >/dev/null
	run send oc_a image "{\"image_key\":\"$img\"}"
	assert_output 200
	imid=$(jq -r .data.message_id resp.json)
	run send oc_a image '{"image_key":"img_404"}'
	assert_equal "$(code)" 230001
	run send oc_a file "{\"file_key\":\"$fk\"}"
	assert_output 200
	fmid=$(jq -r .data.message_id resp.json)
	curl -sf -H "Authorization: Bearer $TOKEN" -o got.png "$API/open-apis/im/v1/messages/$imid/resources/$img?type=image"
	cmp pic.png got.png
	curl -sf -H "Authorization: Bearer $TOKEN" -o got.bin "$API/open-apis/im/v1/messages/$fmid/resources/$fk?type=file"
	cmp doc.bin got.bin
	# a user's image from an event is served the same way
	ctl message "$(jq -nc --arg p "$PWD/pic.png" '{chat_id: "oc_a", message_type: "image", image_path: $p}')" >/dev/null
	ev=$(get messages | jq -c '[.[] | select(.sender.sender_type == "user")][0]')
	k=$(jq -r '.content | fromjson | .image_key' <<<"$ev")
	m=$(jq -r .message_id <<<"$ev")
	curl -sf -H "Authorization: Bearer $TOKEN" -o got2.png "$API/open-apis/im/v1/messages/$m/resources/$k?type=image"
	cmp pic.png got2.png
	# unknown key, key of another message, type mismatch: JSON errors
	run lark GET "/open-apis/im/v1/messages/$m/resources/img_404?type=image"
	assert_output 400
	assert_equal "$(code)" 234003
	run lark GET "/open-apis/im/v1/messages/$m/resources/$img?type=image"
	assert_equal "$(code)" 234003
	run lark GET "/open-apis/im/v1/messages/$m/resources/$k?type=file"
	assert_equal "$(code)" 234003
}

@test "rate limits: 230020 past --chat-qps a chat in one second, per chat; injected 429 with the x-ogw headers; injected failures" {
	start_fake --chat-qps 3
	login
	ctl chat '{"chat_id": "oc_a"}' >/dev/null
	ctl chat '{"chat_id": "oc_b"}' >/dev/null
	for i in 1 2 3; do
		s=$(send oc_a text "$(text "$i")")
		[ "$s" = 200 ] || fail "send $i: $s"
	done
	run send oc_a text "$(text 4)"
	assert_output 400
	assert_equal "$(code)" 230020
	run send oc_b text "$(text other-chat)"
	assert_output 200
	sleep 1.05
	run send oc_a text "$(text later)"
	assert_output 200
	ctl ratelimit '{"method": "POST", "path_re": "/im/v1/messages$", "count": 1, "reset": 2, "limit": 50}' >/dev/null
	run send oc_b text "$(text x)"
	assert_output 429
	assert_equal "$(jq -c '[.code, .msg]' resp.json)" '[99991400,"request trigger frequency limit"]'
	grep -qi '^x-ogw-ratelimit-reset: 2' resp.hdr
	grep -qi '^x-ogw-ratelimit-limit: 50' resp.hdr
	run send oc_b text "$(text y)"
	assert_output 200
	ctl fail '{"method": "DELETE", "path_re": "/messages/", "count": 1, "http": 500, "code": 11232, "msg": "busy"}' >/dev/null
	mid=$(jq -r .data.message_id resp.json)
	run lark DELETE "/open-apis/im/v1/messages/$mid"
	assert_output 500
	assert_equal "$(jq -c '[.code, .msg]' resp.json)" '[11232,"busy"]'
	run lark DELETE "/open-apis/im/v1/messages/$mid"
	assert_output 200
}

@test "discovery: the URL and ClientConfig from the options; endpoint_error answers the next ones; bad credentials fatal" {
	start_fake --ping-interval 2 --reconnect-interval 3 --reconnect-nonce 4
	ctl endpoint_error '{"code": 1, "count": 1}' >/dev/null
	disc() { curl -sf -X POST "$API/callback/ws/endpoint" -H 'locale: zh' -d "$1"; }
	run disc '{"AppID": "cli_test", "AppSecret": "test_secret"}'
	assert_equal "$(jq .code <<<"$output")" 1
	run disc '{"AppID": "cli_test", "AppSecret": "test_secret"}'
	assert_equal "$(jq -c .data.ClientConfig <<<"$output")" '{"ReconnectCount":-1,"ReconnectInterval":3,"ReconnectNonce":4,"PingInterval":2}'
	[[ $(jq -r .data.URL <<<"$output") =~ ^ws://127\.0\.0\.1:$PORT/ws/v2\?device_id=d[0-9]+\&service_id=7$ ]] || fail "$output"
	run disc '{"AppID": "cli_test", "AppSecret": "nope"}'
	assert_equal "$(jq .code <<<"$output")" 1000040344
	run disc '{}'
	assert_equal "$(jq .code <<<"$output")" 1000040344
	run bash -c "curl -sf $API/control/connections | jq -c '[.discoveries[] | [.code, .locale]]'"
	assert_output '[[1,"zh"],[0,"zh"],[1000040344,"zh"],[1000040344,"zh"]]'
}

@test "upgrade: refused with the handshake headers on demand; a URL dials once" {
	start_fake
	ctl refuse_upgrade '{"status": 514, "autherrcode": 1000040350, "msg": "too many connections", "count": 1}' >/dev/null
	run lark-ws-probe --domain "$API" --duration 2
	assert_equal "$status" 4
	assert_equal "$(jq -c 'select(.kind == "handshake")' <<<"$output")" '{"kind":"handshake","status":514,"headers":{"handshake-status":"514","handshake-msg":"too many connections","handshake-autherrcode":"1000040350"}}'
	# the next dial goes through; its URL cannot be dialled again
	run lark-ws-probe --domain "$API" --duration 0.3
	assert_success
	url=$(jq -r 'select(.kind == "open") | .url' <<<"$output")
	[ -n "$url" ] || fail "$output"
	run lark-ws-probe --domain "$API" --url "$url" --duration 0.3
	assert_equal "$status" 4
	assert_equal "$(jq -r 'select(.kind == "handshake") | [.status, .headers["handshake-status"]] | @tsv' <<<"$output")" "403	403"
	# a plain HTTP GET without the upgrade is refused too
	run curl -s -o /dev/null -w '%{http_code}' "$url"
	[ "$output" != 101 ] && [ "$output" != 200 ] || fail "plain GET: $output"
}

@test "ping -> pong on service 7, with a ClientConfig from pong_config; wrong service unanswered; unknown fields skipped" {
	start_fake
	ctl pong_config '{"PingInterval": 5, "ReconnectCount": 3}' >/dev/null
	start_probe --pings 2 --duration 1.6 --ping-extra-field
	wait "$PROBE_PID"
	PROBE_PID=
	run jq -c 'select(.kind == "frame") | [.method, .service, .headers.type, .payload]' probe.out
	assert_line -n 0 '[0,7,"pong","{\"PingInterval\": 5, \"ReconnectCount\": 3}"]'
	assert_line -n 1 '[0,7,"pong",""]'
	[ "${#lines[@]}" -eq 2 ] || fail "$output"
	run bash -c "curl -sf $API/control/pings | jq -c '[.count, [.pings[] | .ok]]'"
	assert_output '[2,[true,true]]'
	# a ping with another service id is recorded, never answered
	start_probe --pings 1 --ping-service 3 --duration 0.5
	wait "$PROBE_PID"
	PROBE_PID=
	run pframes
	assert_output ''
	run bash -c "curl -sf $API/control/pings | jq -c '[.count, .pings[-1].service, .pings[-1].ok]'"
	assert_output '[3,3,false]'
}

@test "an event as a data frame with the Lark headers, acked: the ack recorded, headers and deadline checked" {
	start_fake
	start_probe --events 1 --duration 5
	run ctl message '{"chat_id": "oc_g", "chat_type": "group", "sender_open_id": "ou_ann", "text": "@_user_1 /start", "mentions": [{"key": "@_user_1", "open_id": "ou_bot", "name": "bot"}], "event_id": "ev-1"}'
	assert_success
	assert_equal "$(jq -r .event_id <<<"$output")" ev-1
	mid=$(jq -r .message_id <<<"$output")
	wait "$PROBE_PID"
	PROBE_PID=
	run pdata
	assert_equal "$(jq -c '[.method, .service, .headers.type, .headers.sum, .headers.seq, (.headers.message_id | length > 0), (.headers.trace_id | length > 0)]' <<<"$output")" '[1,7,"event","1","0",true,true]'
	run pevents
	assert_equal "$(jq -c '.body | [.schema, .header.event_id, .header.event_type, .header.app_id, .event.sender.sender_id.open_id, .event.sender.sender_type, .event.message.message_id, .event.message.chat_id, .event.message.chat_type, .event.message.message_type, .event.message.content, .event.message.mentions[0].key, .event.message.mentions[0].id.open_id]' <<<"$output")" \
	    "[\"2.0\",\"ev-1\",\"im.message.receive_v1\",\"cli_test\",\"ou_ann\",\"user\",\"$mid\",\"oc_g\",\"group\",\"text\",\"{\\\"text\\\":\\\"@_user_1 /start\\\"}\",\"@_user_1\",\"ou_bot\"]"
	run bash -c "curl -sf $API/control/events | jq -c '.[0] | [.event_id, .acked, .ack_headers_ok, (.ack_ms < 3000), .acks[0].code, .acks[0].problems]'"
	assert_output '["ev-1",true,true,true,200,[]]'
	# the chat is now one the bot is in
	login
	run send oc_g text "$(text hi)"
	assert_output 200
}

@test "acks checked: changed headers, no biz_rt, a 500 or a late ack do not count" {
	start_fake --ack-deadline 0.5
	start_probe --events 1 --duration 4 --bad-ack
	ctl message '{"chat_id": "oc_a", "text": "1", "event_id": "ev-bad"}' >/dev/null
	wait "$PROBE_PID"
	start_probe --events 1 --duration 4 --no-biz-rt
	ctl message '{"chat_id": "oc_a", "text": "2", "event_id": "ev-nobiz"}' >/dev/null
	wait "$PROBE_PID"
	start_probe --events 1 --duration 4 --ack-code 500
	ctl message '{"chat_id": "oc_a", "text": "3", "event_id": "ev-500"}' >/dev/null
	wait "$PROBE_PID"
	start_probe --events 1 --duration 4 --ack-delay 0.8
	ctl message '{"chat_id": "oc_a", "text": "4", "event_id": "ev-late"}' >/dev/null
	wait "$PROBE_PID"
	PROBE_PID=
	run bash -c "curl -sf $API/control/events | jq -c '.[] | [.event_id, .acked, .ack_headers_ok, (.acks | length), .acks[0].in_time]'"
	assert_line -n 0 '["ev-bad",false,false,1,true]'
	assert_line -n 1 '["ev-nobiz",false,false,1,true]'
	assert_line -n 2 '["ev-500",false,true,1,true]'
	assert_line -n 3 '["ev-late",false,true,1,false]'
	run bash -c "curl -sf $API/control/events | jq -r '.[0].acks[0].problems[0]'"
	assert_output --partial 'header trace_id'
}

@test "fragments: one event split into N frames (sum/seq, one message_id), reassembled whole, acked once" {
	start_fake
	start_probe --events 1 --duration 5
	long=$(/usr/bin/python3 -c 'print("ü" * 3000)')
	ctl message "$(jq -nc --arg t "$long" '{chat_id: "oc_a", text: $t, fragments: 3, event_id: "ev-frag"}')" >/dev/null
	wait "$PROBE_PID"
	PROBE_PID=
	run pdata
	assert_equal "${#lines[@]}" 3
	run jq -sc '[.[] | select(.kind == "frame" and .method == 1) | [.headers.sum, .headers.seq]]' probe.out
	assert_output '[["3","0"],["3","1"],["3","2"]]'
	run jq -sc '[.[] | select(.kind == "frame" and .method == 1) | .headers.message_id] | unique | length' probe.out
	assert_output 1
	run bash -c "jq -r 'select(.kind == \"event\") | .body.event.message.content | fromjson | .text' probe.out"
	assert_output "$long"
	run bash -c "curl -sf $API/control/events | jq -c '.[0] | [.acked, (.acks | length), .deliveries[0].fragments]'"
	assert_output '[true,1,3]'
}

@test "events sent while disconnected are delivered on the next connection, in order; drop and close end the socket" {
	start_fake
	start_probe --duration 5
	run ctl drop '{}'
	assert_output '{"dropped": true}'
	wait_for 'grep -q "\"kind\": \"closed\"" probe.out'
	wait "$PROBE_PID"
	PROBE_PID=
	wait_for 'get connections | jq -e ".connected == false" >/dev/null'
	for i in 1 2 3; do ctl message "{\"chat_id\": \"oc_a\", \"text\": \"q$i\", \"event_id\": \"ev-q$i\"}" >/dev/null; done
	run bash -c "curl -sf $API/control/state | jq -c .queued"
	assert_output '["ev-q1","ev-q2","ev-q3"]'
	start_probe --events 3 --duration 5
	wait "$PROBE_PID"
	PROBE_PID=
	run bash -c "jq -r 'select(.kind == \"event\") | .body.header.event_id' probe.out"
	assert_output "$(printf 'ev-q1\nev-q2\nev-q3')"
	run bash -c "curl -sf $API/control/events | jq -c '[.[] | .acked]'"
	assert_output '[true,true,true]'
	# close with a code: the client sees it
	start_probe --duration 5
	ctl close '{"code": 4001}' >/dev/null
	wait "$PROBE_PID"
	PROBE_PID=
	run jq -c 'select(.kind == "closed") | .code' probe.out
	assert_output 4001
	run bash -c "curl -sf $API/control/connections | jq -c '[.connections[] | (.closed != null)]'"
	assert_output '[true,true,true]'
}

@test "redeliver: on demand and, with --redeliver, an unacked event again with the same event_id" {
	start_fake
	start_probe --events 2 --duration 5
	ctl message '{"chat_id": "oc_a", "text": "again", "event_id": "ev-r"}' >/dev/null
	wait_for '[ "$(pevents | wc -l)" -ge 1 ]'
	run ctl redeliver '{"event_id": "ev-r"}'
	assert_success
	wait "$PROBE_PID"
	PROBE_PID=
	run bash -c "jq -r 'select(.kind == \"event\") | [.body.header.event_id, .message_id] | @tsv' probe.out"
	assert_equal "${#lines[@]}" 2
	[ "$(cut -f1 <<<"$output" | sort -u)" = ev-r ] || fail "$output"
	[ "$(cut -f2 <<<"$output" | sort -u | wc -l)" = 2 ] || fail "one frame message_id for two deliveries: $output"
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -f port
	start_fake --redeliver 0.5
	start_probe --no-ack --duration 1.8
	ctl message '{"chat_id": "oc_a", "text": "unacked", "event_id": "ev-u"}' >/dev/null
	wait "$PROBE_PID"
	PROBE_PID=
	n=$(pevents | jq -r .body.header.event_id | grep -c -x ev-u)
	[ "$n" -ge 3 ] || fail "delivered $n times"
	# acked: never again
	start_probe --duration 1.5
	wait "$PROBE_PID"
	PROBE_PID=
	run bash -c "curl -sf $API/control/events | jq -c '.[0] | [.acked, (.deliveries | length)]'"
	m=$(jq '.[1]' <<<"$output")
	assert_equal "$(jq '.[0]' <<<"$output")" true
	sleep 1
	run bash -c "curl -sf $API/control/events | jq '.[0].deliveries | length'"
	assert_output "$m"
}

@test "card.action.trigger as a card frame; the ack's base64 response recorded and its card applied" {
	start_fake
	login
	ctl chat '{"chat_id": "oc_a"}' >/dev/null
	send oc_a interactive '{"config":{"update_multi":true},"elements":[]}' >/dev/null
	cid=$(jq -r .data.message_id resp.json)
	resp='{"toast":{"type":"info","content":"ok"},"card":{"type":"raw","data":{"elements":[{"tag":"markdown","content":"done"}]}}}'
	start_probe --events 1 --duration 5 --ack-data "$resp"
	ctl card "$(jq -nc --arg m "$cid" '{chat_id: "oc_a", open_message_id: $m, operator_open_id: "ou_ann", value: {answer: "2"}, event_id: "ev-c"}')" >/dev/null
	wait "$PROBE_PID"
	PROBE_PID=
	run bash -c "jq -c 'select(.kind == \"event\") | [.type, .body.header.event_type, .body.event.operator.open_id, .body.event.action.value.answer, .body.event.context.open_message_id, .body.event.context.open_chat_id]' probe.out"
	assert_output "[\"card\",\"card.action.trigger\",\"ou_ann\",\"2\",\"$cid\",\"oc_a\"]"
	run bash -c "curl -sf $API/control/events | jq -c '.[0] | [.acked, .acks[0].response.toast.content]'"
	assert_output '[true,"ok"]'
	run bash -c "curl -sf $API/control/messages | jq -r '.\"$cid\".content | fromjson | .elements[0].content'"
	assert_output done
}

@test "callback driver: encrypted url_verification and events signed as Lark signs them (checked here with openssl and sha256sum); forged signatures" {
	start_fake
	cat >recv.py <<'EOF'
import http.server, os, sys
n = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n[0] += 1
        body = self.rfile.read(int(self.headers["Content-Length"]))
        open("body.%d" % n[0], "wb").write(body)
        with open("hdr.%d" % n[0], "w") as f:
            for k in ("X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature"):
                f.write("%s=%s\n" % (k, self.headers.get(k, "")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"got":%d}' % n[0])
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open("recv.port.tmp", "w").write(str(s.server_address[1]))
os.rename("recv.port.tmp", "recv.port")
s.serve_forever()
EOF
	/usr/bin/python3 recv.py &
	RECV_PID=$!
	wait_for '[ -s recv.port ]'
	url=http://127.0.0.1:$(cat recv.port)/lark/events
	key=kEy-0123
	run ctl callback "$(jq -nc --arg u "$url" --arg k "$key" '{url: $u, challenge: true, encrypt_key: $k, verification_token: "vt"}')"
	assert_success
	assert_equal "$(jq -c '[.status, .body]' <<<"$output")" '[200,"{\"got\":1}"]'
	challenge=$(jq -r .challenge <<<"$output")
	# the signature: sha256(timestamp + nonce + key + raw body)
	. <(sed 's/^X-Lark-Request-//; s/^X-Lark-//' hdr.1)
	want=$({ printf '%s%s%s' "$Timestamp" "$Nonce" "$key"; cat body.1; } | sha256sum | cut -d' ' -f1)
	assert_equal "$Signature" "$want"
	# the body: {"encrypt": base64(iv || AES-256-CBC(key = sha256(encrypt_key)))}
	jq -r .encrypt body.1 | base64 -d >enc.bin
	iv=$(head -c 16 enc.bin | od -An -tx1 | tr -d ' \n')
	k=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)
	tail -c +17 enc.bin | openssl enc -d -aes-256-cbc -K "$k" -iv "$iv" >plain.json
	assert_equal "$(jq -c '[.type, .token, .challenge]' plain.json)" "[\"url_verification\",\"vt\",\"$challenge\"]"
	# an event twice with the same event_id, then with a forged signature
	for i in 2 3; do
		ctl callback "$(jq -nc --arg u "$url" --arg k "$key" '{url: $u, encrypt_key: $k, verification_token: "vt", event_id: "ev-dup", event: {message: {chat_id: "oc_a", message_type: "text", content: "{\"text\":\"hi\"}"}}}')" >/dev/null
	done
	for i in 2 3; do
		jq -r .encrypt "body.$i" | base64 -d >enc.bin
		iv=$(head -c 16 enc.bin | od -An -tx1 | tr -d ' \n')
		tail -c +17 enc.bin | openssl enc -d -aes-256-cbc -K "$k" -iv "$iv" >"plain.$i"
	done
	assert_equal "$(jq -c '[.schema, .header.event_id, .header.token, .header.event_type, .event.message.chat_id]' plain.2)" '["2.0","ev-dup","vt","im.message.receive_v1","oc_a"]'
	assert_equal "$(jq -r .header.event_id plain.3)" ev-dup
	ctl callback "$(jq -nc --arg u "$url" --arg k "$key" '{url: $u, encrypt_key: $k, forge_signature: true, event: {}}')" >/dev/null
	. <(sed 's/^X-Lark-Request-//; s/^X-Lark-//' hdr.4)
	want=$({ printf '%s%s%s' "$Timestamp" "$Nonce" "$key"; cat body.4; } | sha256sum | cut -d' ' -f1)
	[ -n "$Signature" ] && [ "$Signature" != "$want" ] || fail "forged signature $Signature matches"
	# without an encrypt key: a plain challenge, no signature
	run ctl callback "$(jq -nc --arg u "$url" '{url: $u, challenge: true, verification_token: "vt"}')"
	assert_equal "$(jq -c '[.type, .token]' body.5)" '["url_verification","vt"]'
	assert_equal "$(jq -r .challenge body.5)" "$(jq -r .challenge <<<"$output")"
	grep -qx 'X-Lark-Signature=' hdr.5
	# only loopback targets
	run curl -s -o /dev/null -w '%{http_code}' -X POST "$API/control/callback" -d '{"url": "http://192.0.2.1/x", "challenge": true}'
	assert_output 400
}

@test "SIGTERM: a clean exit with a client connected" {
	start_fake
	start_probe --duration 5
	kill -TERM "$FAKE_PID"
	rc=0
	wait "$FAKE_PID" || rc=$?
	assert_equal "$rc" 0
	FAKE_PID=
	wait "$PROBE_PID"
	PROBE_PID=
	grep -q '"kind": "closed"' probe.out
	[ ! -s fake.err ] || fail "$(cat fake.err)"
}
