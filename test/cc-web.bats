#!/usr/bin/env bats
# cc-web with curl: the login, the request checks (cookie, CSRF token,
# Origin, Host), escaping, secrets, HTTPS; with test/fakes/script-engine
# standing in for cc-engine, and end to end with cc-engine, cc-daemon and
# the mock CLI on a local peer.  The browser suite is test/cc-web-browser.bats.

load lib/common
load lib/web

SECRET_TOKEN=tg-SECRET-123:abc
SECRET_PW=peer-SECRET-pw
SECRET_HTTP=http-SECRET-token

setup() {
	cc_setup_home
	WEB_PID=
	export CODECAST_DB=$HOME/sessions.db
	cat >cfg.yaml <<-EOF
	peers:
	  local:
	    transport: local
	  "<img src=x onerror=alert(1)>":
	    transport: local
	  box:
	    ssh_host: 127.0.0.1
	    ssh_port: 1
	    password: $SECRET_PW
	  api:
	    transport: http
	    address: 127.0.0.1:1
	    token: $SECRET_HTTP
	bot:
	  telegram:
	    token: "$SECRET_TOKEN"
	EOF
	use_script_engine
}

teardown() {
	stop_web
}

set_password() {
	printf '%s\n' "${1:-hunter2hunter2}" | cc-web passwd >/dev/null
}

@test "--help, --version, usage errors exit 2" {
	run cc-web --help
	assert_success
	assert_output --partial 'usage: cc-web'
	run cc-web -V
	assert_output --regexp '^cc-web [0-9]'
	run cc-web --port nope
	[ "$status" -eq 2 ]
	run cc-web frobnicate
	[ "$status" -eq 2 ]
}

@test "passwd: argon2id in a 0600 file; a short password is refused; nothing echoed" {
	run bash -c 'printf "short\n" | cc-web passwd'
	assert_failure
	assert_output --partial 'at least 8'
	[ ! -e "$HOME/.codecast/web-password" ]
	run bash -c 'printf "correct horse battery\n" | cc-web passwd'
	assert_success
	refute_output --partial 'correct horse'
	[ "$(stat -c %a "$HOME/.codecast/web-password")" = 600 ]
	[ "$(stat -c %a "$HOME/.codecast")" = 700 ]
	grep -q '^\$argon2id\$' "$HOME/.codecast/web-password"
	! grep -q 'correct horse' "$HOME/.codecast/web-password"
}

@test "off loopback without a password: refused with one line, exit 5; with one: HTTPS only" {
	run cc-web -c cfg.yaml -b 0.0.0.0 -p 0
	[ "$status" -eq 5 ]
	assert_output --partial 'cc-web passwd'
	[ "${#lines[@]}" -eq 1 ]
	set_password
	SCHEME=https start_web -b 0.0.0.0
	run curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/login"
	[ "$output" != 200 ]
	run curl -sS -k -o /dev/null -w '%{http_code}' "$B/login"
	assert_output 200
	# the certificate is cc-web's own, generated 0600
	[ "$(stat -c %a "$HOME/.codecast/web-key.pem")" = 600 ]
	run bash -c "openssl s_client -connect 127.0.0.1:$PORT </dev/null 2>/dev/null | openssl x509 -noout -subject"
	assert_output --partial 'CN = cc-web'
	# the cookie: __Host- prefix, Secure, HttpOnly, SameSite=Strict, expiry
	run curl -sS -k -D - -o /dev/null -H "Origin: $B" --data-urlencode password=hunter2hunter2 "$B/login"
	assert_output --regexp 'Set-Cookie: __Host-ccweb=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure'
}

@test "login: pages need it, the cookie is HttpOnly SameSite=Strict; wrong passwords refused; logout ends it" {
	set_password
	start_web
	run curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$B/"
	assert_output "303 $B/login"
	run curl -sS -o /dev/null -w '%{http_code}' "$B/events"
	assert_output 401
	run curl -sS -o /dev/null -w '%{http_code}' "$B/file/0123456789abcdef0123456789abcdef/x"
	assert_output 401
	run curl -sS -w '%{http_code}' -H "Origin: $B" --data-urlencode password=wrong-one "$B/login"
	assert_output --partial 'Wrong password'
	assert_output --regexp '403$'
	run curl -sS -D - -o /dev/null -H "Origin: $B" --data-urlencode password=hunter2hunter2 "$B/login"
	assert_output --partial 'HTTP/1.1 303'
	assert_output --regexp 'Set-Cookie: ccweb=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200'
	refute_output --partial 'Secure'
	login hunter2hunter2
	grep -q '<h1>Dashboard</h1>' dash.html
	wpost /logout --data-urlencode "csrf=$CSRF"
	[ "$CODE" = 200 ]
	run curl -sS -b jar -o /dev/null -w '%{http_code}' "$B/"
	assert_output 303
	grep -q 'wrong password' web.err
	! grep -q 'wrong-one\|hunter2' web.err
}

@test "login rate limit: after 5 failures even the right password waits (429, Retry-After)" {
	set_password
	start_web
	for i in 1 2 3 4 5; do
		run curl -sS -o /dev/null -w '%{http_code}' -H "Origin: $B" --data-urlencode "password=guess$i" "$B/login"
		assert_output 403
	done
	run curl -sS -D - -o /dev/null -H "Origin: $B" --data-urlencode password=hunter2hunter2 "$B/login"
	assert_output --partial 'HTTP/1.1 429'
	assert_output --regexp 'Retry-After: (59|60)'
	refute_output --partial 'Set-Cookie'
}

@test "every state-changing request: refused without the cookie, the CSRF token, with a foreign Origin or a wrong Host" {
	set_password
	start_web
	login hunter2hunter2
	wait_for 'grep -q "\"hello\"" ev.log'
	reqs=("/action -d act=start -d peer=local -d path=app"
		"/chat/abc/send -d text=hello"
		"/chat/abc/button -d ref=q1 -d value=0"
		"/chat/abc/upload?name=a.txt --data-binary @cfg.yaml"
		"/logout -d x=1")
	for r in "${reqs[@]}"; do
		read -r -a a <<<"$r"
		p=${a[0]}; args=("${a[@]:1}")
		# no cookie
		code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Origin: $B" -H "X-CSRF-Token: $CSRF" "${args[@]}" "$B$p")
		[ "$code" = 401 ] || fail "$p without the cookie: $code"
		# no CSRF token
		code=$(wcurl -o /dev/null -w '%{http_code}' -H "Origin: $B" "${args[@]}" "$B$p")
		[ "$code" = 403 ] || fail "$p without the token: $code"
		# a wrong CSRF token (the cookie's value, say)
		code=$(wcurl -o /dev/null -w '%{http_code}' -H "Origin: $B" -H "X-CSRF-Token: x$CSRF" "${args[@]}" "$B$p")
		[ "$code" = 403 ] || fail "$p with a wrong token: $code"
		# a foreign Origin, and no Origin nor Referer at all
		code=$(wcurl -o /dev/null -w '%{http_code}' -H "Origin: http://evil.example" -H "X-CSRF-Token: $CSRF" "${args[@]}" "$B$p")
		[ "$code" = 403 ] || fail "$p from a foreign Origin: $code"
		code=$(wcurl -o /dev/null -w '%{http_code}' -H "Origin: null" -H "X-CSRF-Token: $CSRF" "${args[@]}" "$B$p")
		[ "$code" = 403 ] || fail "$p from Origin null: $code"
		code=$(wcurl -o /dev/null -w '%{http_code}' -H "X-CSRF-Token: $CSRF" "${args[@]}" "$B$p")
		[ "$code" = 403 ] || fail "$p without Origin: $code"
		# a wrong Host (DNS rebinding), with a matching Origin
		code=$(wcurl -o /dev/null -w '%{http_code}' -H "Host: evil.example:$PORT" -H "Origin: http://evil.example:$PORT" -H "X-CSRF-Token: $CSRF" "${args[@]}" "$B$p")
		[ "$code" = 421 ] || fail "$p with a wrong Host: $code"
		code=$(wcurl -o /dev/null -w '%{http_code}' -H "Host: 127.0.0.1:1$PORT" -H "X-CSRF-Token: $CSRF" "${args[@]}" "$B$p")
		[ "$code" = 421 ] || fail "$p with another port in Host: $code"
	done
	# pages too answer only to our names
	run wcurl -o /dev/null -w '%{http_code}' -H "Host: attacker.example" "$B/"
	assert_output 421
	run wcurl -o /dev/null -w '%{http_code}' -H "Host: localhost:$PORT" "$B/"
	assert_output 303	# answered (curl sends no cookie to "localhost")
	run wcurl -o /dev/null -w '%{http_code}' -H "Host: [::1]:$PORT" "$B/login"
	assert_output 200
	# nothing reached the engine but its hello, and the session still works
	[ "$(grep -vc '"hello"' ev.log)" = 0 ]
	wpost /chat/abc/send --data-urlencode "text=it works"
	[ "$CODE" = 200 ]
	wait_for 'grep -q "it works" ev.log'
	grep '"channel":"web:abc"' ev.log | grep -q '"type":"message"'
	# a GET changes nothing: the actions answer POST only
	run wcurl -o /dev/null -w '%{http_code}' "$B/action?act=start&peer=local&path=x"
	assert_output 404
}

@test "escaping: a peer named <img src=x onerror=alert(1)> and HTML in messages render as text" {
	start_web
	login
	grep -q '<td>&lt;img src=x onerror=alert(1)&gt;</td>' dash.html
	grep -q '<option value="&lt;img src=x onerror=alert(1)&gt;">' dash.html
	! grep -q '<img' dash.html
	# the user's message and the engine's reply, both holding HTML
	wpost /chat/xss/send --data-urlencode 'text=<script>alert(1)</script>'
	[ "$CODE" = 200 ]
	echo '{"op":"send","channel":"web:xss","ref":"r1","text":"<img src=x onerror=alert(2)> **b** [x](javascript:alert(3))"}' >>act
	echo '{"op":"ask","channel":"web:xss","ref":"q1","text":"<b>pick</b>","options":[{"label":"<i>A</i>\"","value":"0"}]}' >>act
	wait_for 'wcurl "$B/chat/xss" >chat.html; grep -q "pick" chat.html'
	grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' chat.html
	grep -q '&lt;img src=x onerror=alert(2)&gt; <strong>b</strong> x' chat.html
	grep -q '&lt;i&gt;A&lt;/i&gt;&quot;' chat.html
	! grep -q '<script>\|<img\|javascript:\|<i>' chat.html
	# the stream carries the same escaped HTML
	timeout 2 curl -sS -N -b jar "$B/chat/xss/events" >events.txt || true
	grep -q '&lt;script&gt;' events.txt
	! grep -q '<script>\|<img' events.txt
	# and every page has a CSP that forbids inline script
	run wcurl -D - -o /dev/null "$B/chat/xss"
	assert_output --partial "Content-Security-Policy: default-src 'none'; script-src 'self';"
	assert_output --partial 'X-Frame-Options: DENY'
}

@test "no secret in any response: tokens, passwords, the hash, the session token" {
	set_password
	start_web
	login hunter2hunter2
	echo '{"op":"send","channel":"web:s","ref":"r1","text":"hi"}' >>act
	wait_for 'wcurl "$B/chat/s" | grep -q hi'
	{
		wcurl -D - "$B/login"
		wcurl -D - "$B/"
		wcurl -D - "$B/chat/s"
		wcurl -D - "$B/static/app.js"
		wcurl -D - "$B/static/app.css"
		wcurl -D - "$B/nope"
		timeout 2 curl -sS -N -b jar "$B/events" || true
		timeout 2 curl -sS -N -b jar "$B/chat/s/events" || true
		curl -sS -D - -H "Origin: $B" --data-urlencode password=wrong "$B/login"
	} >all.txt 2>&1
	hash=$(cat "$HOME/.codecast/web-password")
	token=$(awk '$6 == "ccweb" {print $7}' jar)
	[ -n "$token" ]
	for s in "$SECRET_TOKEN" "$SECRET_PW" "$SECRET_HTTP" hunter2hunter2 "$hash" "$token"; do
		! grep -qF -- "$s" all.txt || fail "secret in a response: $s"
	done
	grep -qF "$CSRF" all.txt	# the CSRF token is meant to be there
	grep -q '<h1>Dashboard</h1>' all.txt
	grep -q '"html":"<p>hi</p>"' all.txt	# the streams were read
	grep -q 'event: peers' all.txt
}

@test "uploads go to the engine as files (0600); forwarded files download only with the cookie" {
	start_web
	login
	printf 'hello file\n' >up.txt
	wpost '/chat/f/upload?name=../../evil%20name.txt' --data-binary @up.txt -H 'Content-Type: application/octet-stream'
	[ "$CODE" = 200 ]
	id=$(jq -r .id out.json)
	[ "$(jq -r .name out.json)" = evil-name.txt ]
	wpost /chat/f/send --data-urlencode "text=see file" --data-urlencode "files=$id"
	[ "$CODE" = 200 ]
	wait_for 'grep -q "see file" ev.log'
	path=$(grep 'see file' ev.log | jq -r '.files[0].path')
	[ "$(grep 'see file' ev.log | jq -r '.files[0].name')" = evil-name.txt ]
	[[ "$path" == "$HOME/.codecast/downloads/web/"* ]]
	[ "$(cat "$path")" = "hello file" ]
	[ "$(stat -c %a "$path")" = 600 ]
	# the engine forwards a file: a download link, the bytes, only with the cookie
	printf 'result data\n' >"$BATS_TEST_TMPDIR/out.csv"
	echo "{\"op\":\"file\",\"channel\":\"web:f\",\"ref\":\"f1\",\"path\":\"$BATS_TEST_TMPDIR/out.csv\",\"caption\":\"out.csv\",\"remove\":true}" >>act
	wait_for 'wcurl "$B/chat/f" >chat.html; grep -q "/file/" chat.html'
	url=$(grep -o 'href="/file/[^"]*"' chat.html | sed 's/href="//; s/"$//')
	[[ "$url" == /file/*/out.csv ]]
	run wcurl -D - "$B$url"
	assert_output --partial 'result data'
	assert_output --partial "Content-Disposition: attachment; filename*=UTF-8''out.csv"
	assert_output --partial 'Content-Type: application/octet-stream'
	[ ! -e "$BATS_TEST_TMPDIR/out.csv" ]	# remove: true
	run curl -sS -o /dev/null -w '%{http_code}' "$B$url"
	assert_output 401
	run wcurl -o /dev/null -w '%{http_code}' "$B/file/../../etc/passwd"
	[ "$output" = 400 ] || [ "$output" = 404 ]
	run wcurl -o /dev/null -w '%{http_code}' "$B/file/0123456789abcdef0123456789abcdef/x"
	assert_output 404
}

@test "an engine's exit 75 (/restart) starts a new one at once; a crash waits, doubling" {
	# The engine: the first run lives 2.2 s and exits 75, the second exits
	# 1 at once, the third stays.
	cat >engine.sh <<-EOF2
	#!/bin/sh
	read -r line
	printf '%s %s\n' "\$(date +%s.%N)" "\$line" >>"$PWD/ev.log"
	n=\$(wc -l <"$PWD/ev.log")
	case \$n in 1) sleep 2.2; exit 75;; 2) exit 1;; esac
	exec cat >/dev/null
	EOF2
	chmod +x engine.sh
	export CC_ENGINE=$PWD/engine.sh
	start_web
	wait_for '[ "$(wc -l <ev.log)" -ge 3 ]' 80
	grep -q 'cc-engine asked for a restart' web.err
	grep -q 'cc-engine ended (exit 1); again in 1 s' web.err
	t1=$(sed -n 1p ev.log | cut -d' ' -f1)
	t2=$(sed -n 2p ev.log | cut -d' ' -f1)
	t3=$(sed -n 3p ev.log | cut -d' ' -f1)
	# 2.2 s of life, then at once; after the crash, a second's wait
	awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(b - a >= 2.2 && b - a < 3.2) }'
	awk -v a="$t2" -v b="$t3" 'BEGIN { exit !(b - a >= 1.0 && b - a < 2.5) }'
	grep -q '"platform":"web"' ev.log
	login
	grep -q 'restarted 2 times' dash.html
	grep -q 'last ended: exit 1' dash.html
}

@test "SIGTERM: exit 0, the engine stopped, no stream left open" {
	start_web
	login
	timeout 5 curl -sS -b jar -N "$B/chat/z/events" >/dev/null &
	cpid=$!
	wait_for 'grep -q "\"hello\"" ev.log'
	epid=$(pgrep -f "script-engine --log $PWD/ev.log")
	kill -TERM "$WEB_PID"
	st=0
	wait "$WEB_PID" || st=$?
	WEB_PID=
	[ "$st" -eq 0 ]
	wait_for '! kill -0 '"$epid"' 2>/dev/null' 30
	# the stream ended with the server, not by its 5 s timeout
	st=0
	wait "$cpid" || st=$?
	[ "$st" -ne 124 ]
}
