#!/usr/bin/env bats
# cc-web in headless Chromium (test/browser/web-e2e.py over the DevTools
# protocol) against the real cc-engine, cc-daemon and the mock CLI on a
# local peer.  Screenshots: test/artifacts/cc-web/{dashboard,chat}.png.

load lib/common
load lib/engine
load lib/web

setup() {
	command -v chromium >/dev/null || skip "chromium is not installed (make deps)"
	engine_setup <<-'EOF'
	  "<img src=x onerror=alert(1)>":
	    transport: local
	file_forward:
	  enabled: true
	  rules:
	    - pattern: "*.txt"
	      auto: true
	EOF
	cp "$CODECAST_CONFIG" cfg.yaml
	unset CC_ENGINE
	export MOCK_CLAUDE_DELAY=0.04
	WEB_PID=
}

teardown() {
	stop_web
	engine_teardown
}

@test "in Chromium: log in, peers and sessions, start, a streamed reply, a question clicked, a file downloaded, history after a reload" {
	printf 'browser-pass-1\n' | cc-web passwd >/dev/null
	cc-session register telegram:9 local "~/Projects/old" d-0001 --name earlier-one >/dev/null
	printf 'forwarded contents' >"$HOME/Projects/app/result.txt"
	start_web
	mkdir -p out
	run /usr/bin/python3 "$CODECAST_TOP/test/browser/web-e2e.py" --base "$B" \
		--password browser-pass-1 --out "$PWD/out" \
		--file "$HOME/Projects/app/result.txt" --file-text 'forwarded contents'
	echo "$output"
	mkdir -p "$CODECAST_TOP/test/artifacts/cc-web"
	cp out/*.png "$CODECAST_TOP/test/artifacts/cc-web/" 2>/dev/null || true
	if [ "$status" -ne 0 ]; then
		cat out/failure.txt 2>/dev/null || true
		cat web.err
	fi
	assert_success
	assert_output --partial 'ok - the heading follows the session without a reload'
	assert_output --partial 'ok - the reply streamed'
	assert_output --partial 'ok - question answered by clicking'
	assert_output --partial 'ok - forwarded file downloaded: result.txt'
	[ -s out/dashboard.png ] && [ -s out/chat.png ]
	# what the browser did reached the engine as chat commands of a web channel
	run cc-session list
	assert_output --partial '"channel_id":"web:'
	# no secret in cc-web's log
	! grep -q 'browser-pass-1' web.err
}
