#!/usr/bin/env bats
# cc-session: the session registry against real SQLite files, including
# databases created with upstream's own CREATE statements.

load lib/common.bash

setup() {
	cc_setup_home
	export CODECAST_DB="$BATS_TEST_TMPDIR/sessions.db"
}

# Upstream's oldest shape: no name, tool_display or cli_type columns.
make_pre_name_db() {
	sqlite3 "$1" <<'SQL'
CREATE TABLE IF NOT EXISTS sessions (
    channel_id TEXT PRIMARY KEY,
    machine_id TEXT NOT NULL,
    path TEXT NOT NULL,
    daemon_session_id TEXT NOT NULL,
    sdk_session_id TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    mode TEXT NOT NULL DEFAULT 'auto',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS session_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id TEXT NOT NULL,
    machine_id TEXT NOT NULL,
    path TEXT NOT NULL,
    daemon_session_id TEXT NOT NULL,
    sdk_session_id TEXT,
    mode TEXT,
    created_at TEXT NOT NULL,
    detached_at TEXT
);
CREATE INDEX IF NOT EXISTS idx_session_log_machine ON session_log(machine_id);
CREATE INDEX IF NOT EXISTS idx_session_log_daemon_id ON session_log(daemon_session_id);
INSERT INTO sessions VALUES ('discord:1','gpu-1','/home/u/a','d-1','sdk-1','active','auto','2026-03-29T10:00:00.000001+00:00','2026-03-29T10:00:00.000001+00:00');
INSERT INTO sessions VALUES ('telegram:2','gpu-2','~/b','d-2',NULL,'detached','plan','2026-03-29T11:00:00.000001+00:00','2026-03-29T11:30:00.000001+00:00');
INSERT INTO sessions VALUES ('lark:oc_3','gpu-1','~/c','d-3',NULL,'destroyed','code','2026-03-29T12:00:00.000001+00:00','2026-03-29T12:00:00.000001+00:00');
INSERT INTO session_log (channel_id,machine_id,path,daemon_session_id,sdk_session_id,mode,created_at,detached_at) VALUES ('telegram:2','gpu-2','~/b','d-2',NULL,NULL,'2026-03-29T11:00:00.000001+00:00','2026-03-29T11:30:00.000001+00:00');
INSERT INTO session_log (channel_id,machine_id,path,daemon_session_id,sdk_session_id,mode,created_at,detached_at) VALUES ('telegram:2','gpu-2','~/old','d-0','sdk-0','ask','2026-03-28T09:00:00.000001+00:00','2026-03-28T09:30:00.000001+00:00');
SQL
}

# Upstream's current CREATE statements (with name) before the tool_display
# and cli_type migrations ran.
make_named_db() {
	sqlite3 "$1" <<'SQL'
CREATE TABLE IF NOT EXISTS sessions (
    channel_id TEXT PRIMARY KEY, machine_id TEXT NOT NULL, path TEXT NOT NULL,
    daemon_session_id TEXT NOT NULL, sdk_session_id TEXT,
    status TEXT NOT NULL DEFAULT 'active', mode TEXT NOT NULL DEFAULT 'auto',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, name TEXT);
CREATE TABLE IF NOT EXISTS session_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, channel_id TEXT NOT NULL,
    machine_id TEXT NOT NULL, path TEXT NOT NULL, daemon_session_id TEXT NOT NULL,
    sdk_session_id TEXT, mode TEXT, created_at TEXT NOT NULL, detached_at TEXT, name TEXT);
CREATE INDEX IF NOT EXISTS idx_session_log_machine ON session_log(machine_id);
CREATE INDEX IF NOT EXISTS idx_session_log_daemon_id ON session_log(daemon_session_id);
INSERT INTO sessions VALUES ('discord:9','gpu-1','/x','d-9',NULL,'active','auto','2026-01-01T00:00:00.000000+00:00','2026-01-01T00:00:00.000000+00:00','calm-river');
INSERT INTO session_log (channel_id,machine_id,path,daemon_session_id,mode,created_at,detached_at,name) VALUES ('discord:9','gpu-1','/y','d-8','auto','2025-12-31T00:00:00.000000+00:00','2026-01-01T00:00:00.000000+00:00','bright-falcon');
SQL
}

columns() {
	sqlite3 "$CODECAST_DB" "SELECT group_concat(name, ',') FROM pragma_table_info('$1')"
}

@test "a fresh database has upstream's exact columns, in order, 0600 in a 0700 dir" {
	run cc-session init
	assert_success
	assert_output ""
	run columns sessions
	assert_output "channel_id,machine_id,path,daemon_session_id,sdk_session_id,status,mode,created_at,updated_at,name,tool_display,cli_type"
	run columns session_log
	assert_output "id,channel_id,machine_id,path,daemon_session_id,sdk_session_id,mode,created_at,detached_at,name,cli_type"
	run sqlite3 "$CODECAST_DB" "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type='index' AND name LIKE 'idx_session_log_%' ORDER BY name)"
	assert_output --partial "idx_session_log_daemon_id,idx_session_log_machine"
	unset CODECAST_DB
	run cc-session init
	assert_success
	run stat -c %a "$HOME/.codecast" "$HOME/.codecast/sessions.db"
	assert_output "$(printf '700\n600')"
}

@test "a pre-name upstream database is migrated in place and keeps every row" {
	make_pre_name_db "$CODECAST_DB"
	run cc-session list
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	run columns sessions
	assert_output "channel_id,machine_id,path,daemon_session_id,sdk_session_id,status,mode,created_at,updated_at,name,tool_display,cli_type"
	run columns session_log
	assert_output "id,channel_id,machine_id,path,daemon_session_id,sdk_session_id,mode,created_at,detached_at,name,cli_type"
	run sqlite3 "$CODECAST_DB" "SELECT channel_id||'|'||daemon_session_id||'|'||ifnull(sdk_session_id,'-')||'|'||status||'|'||mode||'|'||ifnull(name,'-')||'|'||tool_display||'|'||cli_type FROM sessions ORDER BY channel_id"
	assert_output "$(printf '%s\n' 'discord:1|d-1|sdk-1|active|auto|-|buffer|claude' 'lark:oc_3|d-3|-|destroyed|code|-|buffer|claude' 'telegram:2|d-2|-|detached|plan|-|buffer|claude')"
	run sqlite3 "$CODECAST_DB" "SELECT count(*) FROM session_log"
	assert_output 2
	# log rows with a NULL mode read as auto
	run cc-session find d-0
	assert_success
	run jq -r '"\(.status) \(.mode) \(.path) \(.sdk_session_id) \(.updated_at)"' <<<"$output"
	assert_output "detached ask ~/old sdk-0 2026-03-28T09:30:00.000001+00:00"
	run cc-session find d-2
	run jq -r '"\(.status) \(.channel_id) \(.mode)"' <<<"$output"
	assert_output "detached telegram:2 plan"
	# migration is idempotent: a second open changes nothing
	before=$(sqlite3 "$CODECAST_DB" .dump | md5sum)
	run cc-session list
	assert_success
	after=$(sqlite3 "$CODECAST_DB" .dump | md5sum)
	assert_equal "$before" "$after"
}

@test "a named-but-unmigrated upstream database keeps names and gains the new columns" {
	make_named_db "$CODECAST_DB"
	run cc-session resolve discord:9
	assert_success
	run jq -r '"\(.name) \(.tool_display) \(.cli_type)"' <<<"$output"
	assert_output "calm-river buffer claude"
	run cc-session find bright-falcon
	assert_success
	run jq -r '"\(.daemon_session_id) \(.status) \(.cli_type)"' <<<"$output"
	assert_output "d-8 detached claude"
}

@test "register detaches the channel's active session into the log and names the new one" {
	run cc-session register telegram:1 gpu-1 '~/app' d-1
	assert_success
	first=$(jq -r .name <<<"$output")
	[[ "$first" =~ ^[a-z]+-[a-z]+$ ]]
	run jq -r '"\(.status) \(.mode) \(.cli_type) \(.tool_display) \(.sdk_session_id)"' <<<"$output"
	assert_output "active auto claude buffer null"
	run cc-session register telegram:1 gpu-1 '~/other' d-2 --mode plan --cli codex
	assert_success
	second=$(jq -r .name <<<"$output")
	[ "$first" != "$second" ]
	run cc-session resolve telegram:1
	run jq -r '"\(.daemon_session_id) \(.mode) \(.cli_type)"' <<<"$output"
	assert_output "d-2 plan codex"
	run cc-session list --log
	assert_success
	run jq -r '"\(.daemon_session_id) \(.name) \(.detached_at != null)"' <<<"$output"
	assert_output "d-1 $first true"
	run cc-session find "$first"
	run jq -r '"\(.daemon_session_id) \(.status)"' <<<"$output"
	assert_output "d-1 detached"
}

@test "re-registering a resumed session keeps its name, cli_type, mode and sdk id (upstream bug fixed)" {
	cc-session register telegram:1 gpu-1 /a d-1 --cli gemini --mode code >/dev/null
	cc-session set telegram:1 sdk_session_id=sdk-77 tool_display=timer >/dev/null
	name=$(cc-session resolve telegram:1 | jq -r .name)
	cc-session register telegram:1 gpu-1 /b d-2 >/dev/null
	run cc-session register telegram:1 gpu-1 /a d-1
	assert_success
	run jq -r '"\(.name) \(.cli_type) \(.mode) \(.sdk_session_id)"' <<<"$output"
	assert_output "$name gemini code sdk-77"
	# and on another channel too
	run cc-session register discord:5 gpu-1 /a d-1
	run jq -r '"\(.name) \(.cli_type)"' <<<"$output"
	assert_output "$name gemini"
}

@test "resolve and find print nothing and exit 1 when nothing matches" {
	run cc-session resolve telegram:404
	assert_equal "$status" 1
	assert_output ""
	run cc-session find no-such
	assert_equal "$status" 1
	assert_output ""
	run cc-session find-path gpu-1 /nope
	assert_equal "$status" 1
	assert_output ""
	cc-session register telegram:1 gpu-1 /a d-1 >/dev/null
	cc-session detach telegram:1 >/dev/null
	run cc-session resolve telegram:1
	assert_equal "$status" 1
	assert_output ""
}

@test "detach returns the session as it was; a second detach finds nothing" {
	cc-session register telegram:1 gpu-1 /a d-1 >/dev/null
	run cc-session detach telegram:1
	assert_success
	run jq -r '"\(.daemon_session_id) \(.status)"' <<<"$output"
	assert_output "d-1 detached"
	run cc-session detach telegram:1
	assert_equal "$status" 1
	assert_output --partial "no active session"
}

@test "destroy is keyed by daemon session id or name, not by channel (upstream bug fixed)" {
	cc-session register telegram:1 gpu-1 /a d-1 >/dev/null
	old=$(cc-session resolve telegram:1 | jq -r .name)
	cc-session register telegram:1 gpu-1 /b d-2 >/dev/null
	# d-1 now lives only in the log; destroying it must not touch d-2
	run cc-session destroy "$old"
	assert_success
	run jq -r .daemon_session_id <<<"$output"
	assert_output d-1
	run cc-session resolve telegram:1
	assert_success
	run jq -r '"\(.daemon_session_id) \(.status)"' <<<"$output"
	assert_output "d-2 active"
	run cc-session destroy d-2
	assert_success
	run jq -r '"\(.daemon_session_id) \(.status)"' <<<"$output"
	assert_output "d-2 destroyed"
	run cc-session resolve telegram:1
	assert_equal "$status" 1
	run cc-session destroy d-404
	assert_equal "$status" 1
	cc-session register telegram:3 gpu-1 /c d-3 >/dev/null
	run cc-session destroy --channel telegram:3
	assert_success
	run jq -r .status <<<"$output"
	assert_output destroyed
}

@test "set validates keys and values and touches only the active row" {
	cc-session register telegram:1 gpu-1 /a d-1 >/dev/null
	run cc-session set telegram:1 mode=plan tool_display=append cli_type=opencode sdk_session_id=s-1
	assert_success
	run jq -r '"\(.mode) \(.tool_display) \(.cli_type) \(.sdk_session_id)"' <<<"$output"
	assert_output "plan append opencode s-1"
	run cc-session set telegram:1 mode=yolo
	assert_failure
	assert_output --partial 'mode: "yolo" is not auto, code, plan or ask'
	run cc-session set telegram:1 tool_display=loud
	assert_failure
	run cc-session set telegram:1 status=destroyed
	assert_failure
	assert_output --partial "not a settable field"
	run cc-session set telegram:1 novalue
	assert_equal "$status" 2
	cc-session detach telegram:1 >/dev/null
	run cc-session set telegram:1 mode=ask
	assert_equal "$status" 1
}

@test "rename lower-cases, validates, and keeps names unique across both tables" {
	cc-session register telegram:1 gpu-1 /a d-1 >/dev/null
	run cc-session rename telegram:1 My-Project
	assert_success
	run jq -r .name <<<"$output"
	assert_output my-project
	cc-session register telegram:2 gpu-1 /b d-2 --name taken-name >/dev/null
	cc-session detach telegram:2 >/dev/null
	run cc-session rename telegram:1 taken-name
	assert_failure
	assert_output --partial 'name "taken-name" is already in use'
	for bad in falcon 'bright falcon' bright_falcon -bright-falcon bright-falcon- aaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbbb; do
		run cc-session rename telegram:1 -- "$bad"
		assert_failure
		assert_output --partial "not a valid name"
	done
	# renaming to its own name is fine
	run cc-session rename telegram:1 my-project
	assert_success
	run cc-session rename telegram:9 new-name
	assert_equal "$status" 1
	run cc-session register telegram:3 gpu-1 /c d-3 --name my-project
	assert_failure
	assert_output --partial "already in use"
}

@test "list filters by peer and status, newest first; -t prints a table" {
	cc-session register telegram:1 gpu-1 /a d-1 >/dev/null
	cc-session register telegram:2 gpu-2 /b d-2 >/dev/null
	cc-session register telegram:3 gpu-1 /c d-3 >/dev/null
	cc-session detach telegram:3 >/dev/null
	run cc-session list
	assert_success
	run jq -r .daemon_session_id <<<"$output"
	assert_output "$(printf 'd-3\nd-2\nd-1')"
	run cc-session list --peer gpu-1 --status active
	run jq -r .daemon_session_id <<<"$output"
	assert_output d-1
	run cc-session list -t
	assert_success
	assert_line --index 0 --regexp '^NAME +CHANNEL_ID +MACHINE_ID +PATH +STATUS +MODE +CLI_TYPE +UPDATED_AT$'
	[ "${#lines[@]}" -eq 4 ]
}

@test "find prefers names over ids and sessions over the log; find-path matches peer and path" {
	cc-session register telegram:1 gpu-1 /a d-1 --name alpha-one >/dev/null
	cc-session register telegram:1 gpu-1 /a d-2 >/dev/null
	cc-session register telegram:2 gpu-1 /a d-3 >/dev/null
	run cc-session find alpha-one
	run jq -r '"\(.daemon_session_id) \(.status)"' <<<"$output"
	assert_output "d-1 detached"
	run cc-session find d-3
	run jq -r '"\(.channel_id) \(.status)"' <<<"$output"
	assert_output "telegram:2 active"
	run cc-session find-path gpu-1 /a
	assert_success
	[ "${#lines[@]}" -eq 2 ]
}

@test "four concurrent command-line writers: no lost rows, no 'database is locked'" {
	cc-session init
	for w in 1 2 3 4; do
		(
			for i in $(seq 1 40); do
				cc-session register "w$w:$((i % 5))" gpu "/p" "sid-$w-$i" >/dev/null || echo "fail register $w $i"
				cc-session resolve "w$w:$((i % 5))" >/dev/null || echo "fail resolve $w $i"
				cc-session detach "w$w:$((i % 5))" >/dev/null || echo "fail detach $w $i"
			done
		) >"$BATS_TEST_TMPDIR/w$w.out" 2>&1 &
	done
	wait
	run cat "$BATS_TEST_TMPDIR"/w*.out
	assert_output ""
	run sqlite3 "$CODECAST_DB" "SELECT count(*) FROM session_log; SELECT count(*) FROM sessions WHERE status='detached'; SELECT count(DISTINCT name) FROM session_log"
	assert_output "$(printf '160\n20\n160')"
}

@test "usage errors exit 2 before touching the database" {
	run cc-session
	assert_equal "$status" 2
	run cc-session register only-two args
	assert_equal "$status" 2
	run cc-session frobnicate
	assert_equal "$status" 2
	[ ! -e "$CODECAST_DB" ]
	run cc-session --help
	assert_success
	assert_output --partial "register CHANNEL PEER PATH DAEMON_SID"
}

@test "an unreadable or corrupt database is one line, exit 1" {
	printf 'this is not sqlite' > "$CODECAST_DB"
	run cc-session list
	assert_one_line_error
	assert_output --partial "sessions.db"
}

@test "hardening #3: register refuses an invalid --mode" {
	run cc-session register telegram:1 gpu-1 /a d-1 --mode bogus
	assert_one_line_error
	assert_output --partial 'mode: "bogus" is not auto, code, plan or ask'
	run cc-session register telegram:1 gpu-1 /a d-1 --mode Plan
	assert_failure
	run cc-session list
	assert_output ''
}

@test "hardening #10: list -t escapes control characters and line breaks from the data" {
	cc-session register telegram:1 gpu-1 $'/a\e[31m\nFAKE ROW' d-1 >/dev/null
	run cc-session list -t
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	assert_output --partial '/a\x1b[31m\x0aFAKE ROW'
	! grep -q $'\e' <<<"$output" || false
}
