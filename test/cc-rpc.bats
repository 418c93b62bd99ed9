#!/usr/bin/env bats
# cc-rpc against test/fakes/sse-server (every SSE framing, cut streams,
# broken connections, HTTP and JSON-RPC errors, TLS) and against cc-daemon
# running test/fakes/mock-claude as its `claude`.

load lib/common.bash
bats_require_minimum_version 1.5.0

wait_file() {	# FILE: wait up to 10 s for it to be non-empty
	for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
	return 1
}

start_server() {	# NAME [ARGS]: an sse-server; its port in $DIR/NAME.port
	local name=$1; shift
	sse-server --port-file "$BATS_FILE_TMPDIR/$name.port" "$@" \
		>/dev/null 2>"$BATS_FILE_TMPDIR/$name.err" 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/$name.pid"
	wait_file "$BATS_FILE_TMPDIR/$name.port"
}

setup_file() {
	local d=$BATS_FILE_TMPDIR
	start_server plain
	start_server auth --token s3cret-tok
	# A self-signed certificate for the https tests.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$d/key.pem" -out "$d/cert.pem" -days 2 \
		-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	start_server tls --tls "$d/cert.pem" "$d/key.pem"
	# A CA and a certificate it signed for DNS:localhost only.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj /CN=test-ca 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/srv.key" -out "$d/srv.csr" -subj /CN=localhost 2>/dev/null
	printf 'subjectAltName=DNS:localhost\n' >"$d/srv.ext"
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -out "$d/srv.pem" -days 2 -extfile "$d/srv.ext" 2>/dev/null
	start_server catls --tls "$d/srv.pem" "$d/srv.key"
	# cc-daemon with the mock CLI as `claude`.
	mkdir -p "$d/dhome" "$d/dbin" "$d/proj"
	ln -s "$CODECAST_TOP/test/fakes/mock-claude" "$d/dbin/claude"
	HOME="$d/dhome" PATH="$d/dbin:$PATH" cc-daemon -p 0 \
		--port-file "$d/daemon.port" >/dev/null 2>"$d/daemon.err" 3>&- &
	echo $! >"$d/daemon.pid"
	wait_file "$d/daemon.port"
}

teardown_file() {
	local p
	for p in plain auth tls catls daemon; do
		[ -f "$BATS_FILE_TMPDIR/$p.pid" ] && kill "$(cat "$BATS_FILE_TMPDIR/$p.pid")" 2>/dev/null
	done
	return 0
}

setup() {
	cc_setup_home
	PORT=$(cat "$BATS_FILE_TMPDIR/plain.port")
	APORT=$(cat "$BATS_FILE_TMPDIR/auth.port")
	TPORT=$(cat "$BATS_FILE_TMPDIR/tls.port")
	CPORT=$(cat "$BATS_FILE_TMPDIR/catls.port")
	DPORT=$(cat "$BATS_FILE_TMPDIR/daemon.port")
}

stats() {	# counter name on the plain server
	cc-rpc "$PORT" stats | jq -r ".$1"
}

SAMPLE_OUT='{"type":"system","subtype":"init"}
{"type":"partial","content":"héllo "}
{"type":"text","content":"héllo 世界 🎉"}
{"type":"tool_use","tool":"Read"}
{"type":"tool_result","n":123456789012345678901234567890,"s":"a\u00e9 \" b"}
{"type":"result","session_id":"s1"}'

REPLY_OUT='{"type":"system","subtype":"init","session_id":"s1","model":"m"}
{"type":"partial","content":"one "}
{"type":"partial","content":"two "}
{"type":"partial","content":"three "}
{"type":"text","content":"one two three"}
{"type":"result","session_id":"s1","raw":{"duration_ms":1,"total_cost_usd":0.0012}}'

# ---------------------------------------------------------------- usage

@test "--help prints usage on stdout, exit 0; no arguments is a usage error" {
	run cc-rpc --help
	assert_success
	assert_output --partial "usage: cc-rpc"
	run cc-rpc
	assert_equal "$status" 2
	run cc-rpc 9100
	assert_equal "$status" 2
}

@test "bad targets, params and options exit 2 with one line" {
	for t in 0 70000 host host:x 'https://https://h' 'a b:1' http://; do
		run --separate-stderr cc-rpc "$t" health.check
		assert_equal "$status" 2
		assert_equal "${#stderr_lines[@]}" 1
		assert_output ""
	done
	run cc-rpc "$PORT" echo novalue
	assert_equal "$status" 2
	run cc-rpc "$PORT" echo 'n:={bad'
	assert_equal "$status" 2
	run cc-rpc "$PORT" echo '{"a":1}' b=2
	assert_equal "$status" 2
	run cc-rpc "$PORT" echo '[1]'
	assert_equal "$status" 2
	run cc-rpc "$PORT" echo m=@/nonexistent/file
	assert_equal "$status" 2
	run --separate-stderr cc-rpc --fingerprint sha256:abc "$PORT" health.check
	assert_equal "$status" 2
	run cc-rpc --timeout x "$PORT" health.check
	assert_equal "$status" 2
}

# ---------------------------------------------------------- plain calls

@test "a plain result is one compact JSON line" {
	run --separate-stderr cc-rpc "$PORT" health.check
	assert_success
	assert_output '{"ok":true,"sessions":0,"version":"test"}'
	assert_equal "$stderr" ""
	# HOST:PORT and URLs reach the same endpoint.
	run cc-rpc "127.0.0.1:$PORT" health.check
	assert_output '{"ok":true,"sessions":0,"version":"test"}'
	run cc-rpc "http://127.0.0.1:$PORT/" health.check
	assert_output '{"ok":true,"sessions":0,"version":"test"}'
	run cc-rpc "http://127.0.0.1:$PORT/rpc" health.check
	assert_output '{"ok":true,"sessions":0,"version":"test"}'
}

@test "params: key=value, key:=JSON, key=@FILE, key=@-, one JSON object" {
	printf 'line one\n"quoted" \\ é\n' >msg.txt
	run cc-rpc "$PORT" echo s=text n:=42 b:=true z:=null 'o:={"x":[1,2]}' f=@msg.txt r:=0.0012
	assert_success
	assert_equal "$(jq -c .params <<<"$output")" \
		'{"s":"text","n":42,"b":true,"z":null,"o":{"x":[1,2]},"f":"line one\n\"quoted\" \\ é\n","r":0.0012}'
	# Reals are sent with the digits they were given, not 17.
	[[ "$(jq -r .body <<<"$output")" == *'"r":0.0012}'* ]]
	assert_equal "$(jq -r .contentType <<<"$output")" application/json
	run cc-rpc "$PORT" echo message=@- <msg.txt
	assert_equal "$(jq -r .params.message <<<"$output")" "$(cat msg.txt)"
	run cc-rpc "$PORT" echo '{"sessionId":"a","n":[1]}'
	assert_equal "$(jq -c .params <<<"$output")" '{"sessionId":"a","n":[1]}'
	# No params: the request has none (upstream omits empty params).
	run cc-rpc "$PORT" echo
	assert_equal "$(jq -r .body <<<"$output")" '{"method":"echo"}'
}

@test "chat text read with =@- never appears in argv" {
	mkfifo in
	cc-rpc "$PORT" echo message=@- <in >out 3>&- &
	pid=$!
	exec 4>in
	printf 'secret chat text' >&4
	# While cc-rpc waits for the rest of its input, its argv is visible.
	run cat "/proc/$pid/cmdline"
	refute_output --partial "secret chat text"
	exec 4>&-
	wait "$pid"
	assert_equal "$(jq -r .params.message out)" "secret chat text"
}

@test "a JSON-RPC error: one line on stderr, nothing on stdout, exit 1" {
	run --separate-stderr cc-rpc "$PORT" fail.rpc
	assert_equal "$status" 1
	assert_output ""
	assert_equal "$stderr" "cc-rpc: fail.rpc: -32000: Session not found: x"
	run --separate-stderr cc-rpc "$PORT" no.such.method
	assert_equal "$status" 1
	assert_equal "$stderr" "cc-rpc: no.such.method: -32601: Method not found: no.such.method"
}

@test "HTTP 401, 415, 500: one line with the status, exit 1" {
	for s in 401 415 500; do
		run --separate-stderr cc-rpc "$PORT" "http.$s"
		assert_equal "$status" 1
		assert_output ""
		assert_equal "$stderr" "cc-rpc: http.$s: HTTP $s: status $s second line"
	done
}

@test "bearer token from --token, --token-file or CODECAST_TOKEN; never in diagnostics" {
	run --separate-stderr cc-rpc "$APORT" health.check
	assert_equal "$status" 1
	assert_equal "$stderr" "cc-rpc: health.check: HTTP 401: Unauthorized: missing Bearer token"
	run --separate-stderr cc-rpc --token wrong-tok "$APORT" health.check
	assert_equal "$status" 1
	assert_equal "$stderr" "cc-rpc: health.check: HTTP 401: Unauthorized: invalid token"
	refute_output --partial wrong-tok
	run cc-rpc --token s3cret-tok "$APORT" echo
	assert_success
	assert_equal "$(jq -r .auth <<<"$output")" "Bearer s3cret-tok"
	CODECAST_TOKEN=s3cret-tok run cc-rpc "$APORT" health.check
	assert_success
	printf 's3cret-tok\n' >tok
	run cc-rpc --token-file tok "$APORT" health.check
	assert_success
	# A failing session.send shows the error, not the token.
	run --separate-stderr cc-rpc --token wrong-tok "$APORT" session.send sessionId=s message=sample
	assert_equal "$status" 1
	assert_output '{"type":"error","message":"HTTP 401: Unauthorized: invalid token"}'
	refute_output --partial wrong-tok
}

@test "connection refused: exit 3, with a synthetic error event for session.send" {
	# A port nobody listens on: bind one, close it.
	p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	run --separate-stderr cc-rpc "$p" health.check
	assert_equal "$status" 3
	assert_output ""
	[[ "$stderr" == "cc-rpc: health.check: "*"Connection refused"* ]]
	run --separate-stderr cc-rpc "$p" session.send sessionId=s message=x
	assert_equal "$status" 3
	[[ "$(jq -r .message <<<"$output")" == "Connection error: "*"Connection refused"* ]]
	# Nothing was sent, so there is nothing to complete.
	refute [ "$(jq -r .type <<<"$output" | wc -l)" -gt 1 ]
}

@test "a large plain result arrives whole" {
	run cc-rpc "$PORT" big.result
	assert_success
	assert_equal "$(jq -r '.s | length' <<<"$output")" 1048576
}

# -------------------------------------------------------------- streams

@test "every SSE framing: LF, CRLF, CR, no space, multi-line, comments, fields, non-JSON" {
	run --separate-stderr cc-rpc "$PORT" session.send sessionId=s message=sample
	assert_success
	assert_output "$SAMPLE_OUT"
	# The one non-JSON event is reported; the empty one silently dropped.
	assert_equal "$stderr" "cc-rpc: session.send: skipping an event that is not JSON"
	run --separate-stderr cc-rpc "$PORT" session.send sessionId=s message=sample-bom
	assert_output "$SAMPLE_OUT"
	run --separate-stderr cc-rpc --pings "$PORT" session.send sessionId=s message=sample
	assert_output "{\"type\":\"ping\"}
$SAMPLE_OUT"
}

@test "the sample one byte per chunk" {
	run --separate-stderr cc-rpc "$PORT" session.send sessionId=s message=bytes
	assert_success
	assert_output "$SAMPLE_OUT"
}

@test "the sample cut in two at every byte offset" {
	len=$(python3 -c 'import importlib.machinery as m, sys; sys.argv=["x"]; l=m.SourceFileLoader("s", sys.argv[0] if 0 else "'"$CODECAST_TOP"'/test/fakes/sse-server").load_module(); print(len(l.SAMPLE))')
	[ "$len" -gt 300 ]
	bad=0
	for k in $(seq 0 "$len"); do
		out=$(cc-rpc "$PORT" session.send sessionId=s "message=cut:$k" 2>/dev/null) || bad=$((bad + 1))
		[ "$out" = "$SAMPLE_OUT" ] || { echo "cut at $k: $out"; bad=$((bad + 1)); }
	done
	assert_equal "$bad" 0
}

@test "an error event: printed, exit 1" {
	run --separate-stderr cc-rpc "$PORT" session.send sessionId=s message=error
	assert_equal "$status" 1
	assert_output '{"type":"partial","content":"one "}
{"type":"error","message":"Claude process exited abnormally (code=1, signal=null)"}'
}

@test "a result then EOF without [DONE] is complete: exit 0, no reconnect" {
	before=$(stats reconnects)
	run --separate-stderr cc-rpc "$PORT" session.send sessionId=nd message=nodone
	assert_success
	assert_output "$REPLY_OUT"
	assert_equal "$(stats reconnects)" "$before"
}

@test "events are written the moment they arrive, not at the end" {
	cc-rpc --idle-timeout 20 "$PORT" session.send sessionId=fl message=stall:4 >out 2>err 3>&- &
	pid=$!
	for _ in $(seq 50); do [ "$(wc -l <out)" -ge 3 ] && break; sleep 0.1; done
	# The server is still stalling (30 s): cc-rpc has not ended.
	kill -0 "$pid"
	run cat out
	kill "$pid"; wait "$pid" || true
	assert_output '{"type":"system","subtype":"init","session_id":"s1","model":"m"}
{"type":"partial","content":"one "}
{"type":"partial","content":"two "}'
}

@test "a reader that goes away ends cc-rpc by SIGPIPE, quietly" {
	# The sample one byte at a time: events keep coming after head exits.
	run bash -c "cc-rpc $PORT session.send sessionId=hp message=bytes 2>err | head -n 1; echo \${PIPESTATUS[0]}"
	assert_line --index 0 '{"type":"system","subtype":"init"}'
	assert_line --index 1 141
	assert_equal "$(cat err)" ""
}

@test "a stream that cannot be written (/dev/full): one line, exit 3" {
	run --separate-stderr bash -c "cc-rpc $PORT session.send sessionId=df message=error >/dev/full"
	assert_equal "$status" 3
	assert_equal "$stderr" "cc-rpc: session.send: write: No space left on device"
}

@test "a quoted message round-trips" {
	run --separate-stderr cc-rpc "$PORT" session.send sessionId=s 'message=msg:say "hi" \ é'
	assert_success
	assert_line --index 4 '{"type":"text","content":"say \"hi\" \\ é"}'
}

@test "an event over --max-event: a clear error, exit 3" {
	run --separate-stderr cc-rpc --max-event 2048 "$PORT" session.send sessionId=s message=huge:5000
	assert_equal "$status" 3
	[[ "$stderr" == *"event longer than 2048 bytes"* ]]
	run --separate-stderr cc-rpc --max-event 8192 "$PORT" session.send sessionId=s message=huge:5000
	assert_success
	assert_equal "$(wc -l <<<"$output")" 2
}

@test "a plain JSON reply to session.send is printed as a result" {
	run --separate-stderr cc-rpc "$PORT" session.send sessionId=s message=plainjson
	assert_success
	assert_output '{"plain":true}'
}

# --------------------------------------------------------- nothing lost

@test "dropped mid-reply: completed with session.reconnect, every event once" {
	for n in 1 3 6; do
		before=$(stats reconnects)
		run --separate-stderr cc-rpc "$PORT" session.send "sessionId=drop$n" "message=drop:$n"
		assert_success
		assert_output "$REPLY_OUT"
		[[ "$stderr" == *"completing with session.reconnect"* ]]
		[ "$(stats reconnects)" -gt "$before" ]
	done
}

@test "buffered events released over several polls: polls until the result" {
	before=$(stats reconnects)
	run --separate-stderr cc-rpc "$PORT" session.send sessionId=parts message=drop:2:4
	assert_success
	assert_output "$REPLY_OUT"
	# 5 buffered events, 2 per poll: at least 3 polls.
	[ "$(stats reconnects)" -ge $((before + 3)) ]
}

@test "daemon unreachable for a while: reconnect retried with backoff" {
	run --separate-stderr cc-rpc --retry 10 "$PORT" session.send sessionId=down1 message=down:2:1.5
	assert_success
	assert_output "$REPLY_OUT"
}

@test "daemon unreachable past --retry: synthetic connection error, exit 3" {
	run --separate-stderr cc-rpc --retry 1 "$PORT" session.send sessionId=down2 message=down:2:30
	assert_equal "$status" 3
	assert_line --index 0 '{"type":"system","subtype":"init","session_id":"s1","model":"m"}'
	last=$(tail -n 1 <<<"$output")
	assert_equal "$(jq -r .type <<<"$last")" error
	[[ "$(jq -r .message <<<"$last")" == "Connection error: "* ]]
}

@test "idle timeout: the stream is completed with session.reconnect" {
	run --separate-stderr cc-rpc --idle-timeout 1 "$PORT" session.send sessionId=stall1 message=stall:3
	assert_success
	assert_output "$REPLY_OUT"
}

@test "idle timeout with nothing to complete: upstream's synthetic error, exit 4" {
	run --separate-stderr cc-rpc --idle-timeout 1 --retry 1 "$PORT" session.send sessionId=stall2 message=stall:7
	# stall:7 sent the whole reply but no [DONE]; the result ends it.
	assert_success
	run --separate-stderr cc-rpc --retry 1 "$PORT" session.send sessionId=nh message=nohang
	assert_equal "$status" 4
	assert_output '{"type":"error","message":"Stream idle timeout (1s with no events). Session may be stuck."}'
}

@test "idle timeout and the daemon unreachable past --retry: the idle error, exit 4" {
	run --separate-stderr cc-rpc --idle-timeout 1 --retry 1 "$PORT" session.send sessionId=sd message=stalldown:2:30
	assert_equal "$status" 4
	assert_equal "$(tail -n 1 <<<"$output")" '{"type":"error","message":"Stream idle timeout (1s with no events). Session may be stuck."}'
}

@test "--timeout (total) ends a stream: exit 4" {
	run --separate-stderr cc-rpc --timeout 1 "$PORT" session.send sessionId=tt message=stall:2
	assert_equal "$status" 4
	assert_equal "$(tail -n 1 <<<"$output")" '{"type":"error","message":"Timeout (1s in total)"}'
	# Also while completing: the total limit covers the reconnects.
	run --separate-stderr cc-rpc --timeout 2 --retry 30 "$PORT" session.send sessionId=tt2 message=down:2:30
	assert_equal "$status" 4
	assert_equal "$(tail -n 1 <<<"$output")" '{"type":"error","message":"Timeout (2s in total)"}'
}

@test "queued: printed, exit 0; with --follow its own reply follows" {
	run --separate-stderr cc-rpc "$PORT" session.send sessionId=q1 message=queued:3
	assert_success
	assert_output '{"type":"queued","position":3}'
	run --separate-stderr cc-rpc --follow "$PORT" session.send sessionId=q2 message=queued:3
	assert_success
	assert_output '{"type":"queued","position":3}
{"type":"system","subtype":"init"}
{"type":"text","content":"mine"}
{"type":"result","session_id":"mine"}'
}

@test "session.reconnect prints buffered events one per line" {
	# drop:1 with cc-rpc killed before it completes would race; buffer
	# directly: a queued reply nobody follows.
	cc-rpc "$PORT" session.send sessionId=rc1 message=queued:1 >/dev/null
	run cc-rpc "$PORT" session.reconnect sessionId=rc1
	assert_success
	assert_output '{"type":"system","subtype":"init"}
{"type":"text","content":"mine"}'
	run cc-rpc "$PORT" session.reconnect sessionId=rc1
	assert_output '{"type":"result","session_id":"mine"}
{"type":"text","content":"later"}'
	run cc-rpc "$PORT" session.reconnect sessionId=rc1
	assert_success
	assert_output ""
}

# ----------------------------------------------------------------- https

@test "https: a self-signed certificate fails verification (exit 3)" {
	run --separate-stderr cc-rpc "https://127.0.0.1:$TPORT" health.check
	assert_equal "$status" 3
	assert_output ""
}

@test "https: --fingerprint pins the certificate (DER or PEM text), mismatch exit 3" {
	c=$BATS_FILE_TMPDIR/cert.pem
	der=$(openssl x509 -in "$c" -outform DER | sha256sum | cut -d' ' -f1)
	pem=$(sha256sum <"$c" | cut -d' ' -f1)
	run --separate-stderr cc-rpc --fingerprint "sha256:$der" "https://127.0.0.1:$TPORT" health.check
	assert_success
	assert_output '{"ok":true,"sessions":0,"version":"test"}'
	colons=$(sed 's/../&:/g; s/:$//' <<<"${der^^}")
	run --separate-stderr cc-rpc --fingerprint "sha256:$colons" "https://127.0.0.1:$TPORT" health.check
	assert_success
	run --separate-stderr cc-rpc --fingerprint "sha256:$pem" "https://127.0.0.1:$TPORT" session.send sessionId=s message=sample
	assert_success
	assert_output "$SAMPLE_OUT"
	wrong=$(printf '%064d' 0)
	before=$(cc-rpc --fingerprint "sha256:$der" "https://127.0.0.1:$TPORT" stats | jq .requests)
	run --separate-stderr cc-rpc --token s3cret --fingerprint "sha256:$wrong" "https://127.0.0.1:$TPORT" health.check
	assert_equal "$status" 3
	assert_output ""
	assert_equal "$stderr" "cc-rpc: health.check: TLS certificate sha256:$der does not match the pinned sha256:$wrong"
	# The handshake failed: no request (and no token) reached the server.
	after=$(cc-rpc --fingerprint "sha256:$der" "https://127.0.0.1:$TPORT" stats | jq .requests)
	assert_equal "$after" $((before + 1))
}

@test "https: --cacert verifies the chain and the host name" {
	ca=$BATS_FILE_TMPDIR/ca.pem
	run --separate-stderr cc-rpc --cacert "$ca" "https://localhost:$CPORT" health.check
	assert_success
	assert_output '{"ok":true,"sessions":0,"version":"test"}'
	# Signed by the CA, but not for this name.
	run --separate-stderr cc-rpc --cacert "$ca" "https://127.0.0.1:$CPORT" health.check
	assert_equal "$status" 3
	# Without the CA: not trusted.
	run --separate-stderr cc-rpc "https://localhost:$CPORT" health.check
	assert_equal "$status" 3
	run --separate-stderr cc-rpc --cacert /nonexistent "https://localhost:$CPORT" health.check
	assert_equal "$status" 2
}

@test "--peer takes the token and tls_fingerprint from the config" {
	der=$(openssl x509 -in "$BATS_FILE_TMPDIR/cert.pem" -outform DER | sha256sum | cut -d' ' -f1)
	mkdir -p "$HOME/.codecast"
	cat >"$HOME/.codecast/config.yaml" <<-YAML
	peers:
	  lab:
	    transport: http
	    address: 127.0.0.1:$TPORT
	    tls_fingerprint: sha256:$der
	  authed:
	    transport: http
	    address: 127.0.0.1:$APORT
	    token: s3cret-tok
	YAML
	run cc-rpc --peer lab "https://127.0.0.1:$TPORT" health.check
	assert_success
	assert_output '{"ok":true,"sessions":0,"version":"test"}'
	run cc-rpc --peer authed "$APORT" echo
	assert_success
	assert_equal "$(jq -r .auth <<<"$output")" "Bearer s3cret-tok"
	# An explicit option wins over the config.
	run cc-rpc --peer authed --token other "$APORT" health.check
	assert_equal "$status" 1
	run --separate-stderr cc-rpc --peer nosuch "$APORT" health.check
	assert_equal "$status" 2
	[[ "$stderr" == *"no peer nosuch"* ]]
}

# ------------------------------------------------- cc-daemon + mock CLI

@test "cc-daemon: health.check, session.create, a streamed reply in order" {
	# the daemon runs in another HOME: its owner token is given
	export CODECAST_TOKEN="$(cat "$BATS_FILE_TMPDIR/dhome/.codecast/daemon.token")"
	run cc-rpc "$DPORT" health.check
	assert_success
	assert_equal "$(jq -r .ok <<<"$output")" true
	sid=$(cc-rpc "$DPORT" session.create path="$BATS_FILE_TMPDIR/proj" | jq -r .sessionId)
	[ -n "$sid" ]
	run --separate-stderr cc-rpc --pings "$DPORT" session.send sessionId="$sid" "message=echo:hi there"
	assert_success
	assert_equal "$(jq -r .type <<<"$output" | tr '\n' ' ')" "ping system partial partial text result "
	assert_equal "$(jq -r 'select(.type=="text").content' <<<"$output")" "hi there"
	run --separate-stderr cc-rpc "$DPORT" session.send sessionId="$sid" "message=echo:again"
	assert_success
	assert_equal "$(jq -r .type <<<"$output" | tr '\n' ' ')" "system partial text result "
}

@test "cc-daemon: chat text from stdin, an unknown session, a failing CLI" {
	# the daemon runs in another HOME: its owner token is given
	export CODECAST_TOKEN="$(cat "$BATS_FILE_TMPDIR/dhome/.codecast/daemon.token")"
	sid=$(cc-rpc "$DPORT" session.create path="$BATS_FILE_TMPDIR/proj" | jq -r .sessionId)
	run bash -c "printf 'echo:from stdin' | cc-rpc $DPORT session.send sessionId=$sid message=@-"
	assert_success
	assert_equal "$(jq -r 'select(.type=="text").content' <<<"$output")" "from stdin"
	run --separate-stderr cc-rpc "$DPORT" session.send sessionId=nope message=x
	assert_equal "$status" 1
	assert_output '{"type":"error","message":"Session not found: nope"}'
	run --separate-stderr cc-rpc "$DPORT" session.send sessionId="$sid" message=error
	assert_equal "$status" 1
	assert_equal "$(tail -n 1 <<<"$output" | jq -r .type)" error
	run --separate-stderr cc-rpc "$DPORT" session.destroy sessionId=nope
	assert_success
	assert_output '{"ok":false}'
}

@test "cc-daemon: --follow prints a queued message's own reply" {
	# the daemon runs in another HOME: its owner token is given
	export CODECAST_TOKEN="$(cat "$BATS_FILE_TMPDIR/dhome/.codecast/daemon.token")"
	sid=$(cc-rpc "$DPORT" session.create path="$BATS_FILE_TMPDIR/proj" | jq -r .sessionId)
	cc-rpc "$DPORT" session.send sessionId="$sid" message=slow >first 3>&- &
	pid=$!
	# Wait until the first message is running.
	for _ in $(seq 50); do
		[ "$(cc-rpc "$DPORT" session.list | jq -r ".sessions[] | select(.sessionId==\"$sid\").status")" = busy ] && break
		sleep 0.1
	done
	run --separate-stderr cc-rpc --follow "$DPORT" session.send sessionId="$sid" message=echo:second
	wait "$pid"
	assert_success
	assert_equal "$(jq -r .type <<<"$output" | tr '\n' ' ')" "queued system partial text result "
	assert_equal "$(jq -r 'select(.type=="text").content' <<<"$output")" "second"
	assert_equal "$(jq -r 'select(.type=="text").content' first)" "Slow response completed"
}

# A daemon whose CLI writes one line every 0.1 s, reached through
# cut-proxy, which breaks the first connection mid-reply.
slow_daemon() {
	local d=$BATS_TEST_TMPDIR
	mkdir -p "$d/shome"
	HOME="$d/shome" PATH="$BATS_FILE_TMPDIR/dbin:$PATH" MOCK_CLAUDE_DELAY=0.1 \
		cc-daemon -p 0 --port-file "$d/slow.port" >/dev/null 2>"$d/slow.err" 3>&- &
	echo $! >>"$d/pids"
	wait_file "$d/slow.port"
	SPORT=$(cat "$d/slow.port")
	export CODECAST_TOKEN="$(cat "$d/shome/.codecast/daemon.token")"
	SSID=$(cc-rpc "$SPORT" session.create path="$BATS_FILE_TMPDIR/proj" | jq -r .sessionId)
}

cut_proxy() {	# BYTES [--at-boundary]
	local d=$BATS_TEST_TMPDIR
	cut-proxy --target "$SPORT" --cut "$@" --port-file "$d/proxy.port" >/dev/null 3>&- &
	echo $! >>"$d/pids"
	wait_file "$d/proxy.port"
	XPORT=$(cat "$d/proxy.port")
}

teardown() {
	[ -f "$BATS_TEST_TMPDIR/pids" ] || return 0
	while read -r p; do kill "$p" 2>/dev/null || true; done <"$BATS_TEST_TMPDIR/pids"
}

@test "cc-daemon: a stream broken between events is completed, nothing lost" {
	slow_daemon
	# 1000 bytes: after the init event, within the partials.
	cut_proxy 1000 --at-boundary
	run --separate-stderr cc-rpc "$XPORT" session.send sessionId="$SSID" "message=echo:one two three four five six"
	assert_success
	[[ "$stderr" == *"completing with session.reconnect"* ]]
	assert_equal "$(jq -r .type <<<"$output" | tr '\n' ' ')" \
		"system partial partial partial partial partial partial text result "
	assert_equal "$(jq -r 'select(.type=="partial").content' <<<"$output" | tr -d '\n')" "one two three four five six "
}

@test "cc-daemon: a stream broken inside an event: completed, no duplicates, only that event missing" {
	slow_daemon
	cut_proxy 1000
	run --separate-stderr cc-rpc "$XPORT" session.send sessionId="$SSID" "message=echo:one two three four five six"
	assert_success
	[[ "$stderr" == *"completing with session.reconnect"* ]]
	assert_equal "$(jq -r .type <<<"$output" | tail -n 2 | tr '\n' ' ')" "text result "
	assert_equal "$(jq -r 'select(.type=="text").content' <<<"$output")" "one two three four five six"
	# Every line once; of the 9 events at most the one cut is missing.
	assert_equal "$(sort <<<"$output" | uniq -d)" ""
	[ "${#lines[@]}" -ge 8 ]
}

@test "hardening #9: a token is not sent over http:// to a host that is not loopback, unless --insecure" {
	# 0.0.0.0 reaches this machine but is not a loopback name
	run --separate-stderr cc-rpc --token s3cret-tok "http://0.0.0.0:$APORT" echo
	assert_equal "$status" 3
	assert_equal "$stderr" "cc-rpc: echo: http://0.0.0.0:$APORT/rpc: refusing to send the token in clear text over http:// to a host that is not loopback (use https://, or --insecure)"
	assert_output ''
	run --separate-stderr cc-rpc --insecure --token s3cret-tok "http://0.0.0.0:$APORT" echo
	assert_success
	# loopback names are fine, and no token is no secret
	run --separate-stderr cc-rpc --token s3cret-tok "http://localhost:$APORT" echo
	assert_success
	run --separate-stderr cc-rpc "http://0.0.0.0:$PORT" echo
	assert_success
	# the head's http transport: cc-tunnel refuses the URL, cc-rpc --peer too
	cat >"$HOME/config.yaml" <<-YAML
	peers:
	  lab:
	    transport: http
	    address: http://0.0.0.0:$APORT
	    token: s3cret-tok
	YAML
	run cc-tunnel -c "$HOME/config.yaml" lab
	assert_failure 1
	assert_output "cc-tunnel: lab: http://0.0.0.0:$APORT: refusing an http:// address for a peer with a token (it would travel in clear text); use https://, or set insecure: true"
	run --separate-stderr cc-rpc -c "$HOME/config.yaml" --peer lab "http://0.0.0.0:$APORT" echo
	assert_equal "$status" 3
	printf '    insecure: true\n' >>"$HOME/config.yaml"
	run cc-tunnel -c "$HOME/config.yaml" lab
	assert_success
	assert_output "http://0.0.0.0:$APORT"
	run --separate-stderr cc-rpc -c "$HOME/config.yaml" --peer lab "http://0.0.0.0:$APORT" echo
	assert_success
}
