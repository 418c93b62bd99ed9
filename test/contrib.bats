#!/usr/bin/env bats
# contrib/: the bash completion (driven as bash drives it) and the peer
# listing it relies on (cc-config --peers).

load lib/common.bash

setup() {
	cc_setup_home
	export CODECAST_CONFIG=$BATS_TEST_TMPDIR/config.yaml
	printf 'peers:\n  gpu-1:\n    ssh_host: 10.0.0.5\n    proxy_jump: bastion\n  bastion:\n    ssh_host: b.example\n    ssh_port: 2222\n  box:\n    transport: local\n  web:\n    transport: http\n    address: w.example:9100\n' >"$CODECAST_CONFIG"
	source "$CODECAST_TOP/contrib/bash-completion/codecast"
}

complete_line() {	# words... (the last may be "" for a new word)
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_codecast
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

@test "cc-config --peers: the ids one per line; -t a table; -t alone is a usage error" {
	run cc-config --peers
	assert_success
	assert_output "gpu-1
bastion
box
web"
	run cc-config --peers -t
	assert_success
	assert_line --index 0 --regexp '^ID +TRANSPORT +WHERE +VIA$'
	assert_line --index 1 --regexp '^gpu-1 +ssh +10\.0\.0\.5:22 +bastion$'
	assert_line --index 2 --regexp '^bastion +ssh +b\.example:2222 +-$'
	assert_line --index 4 --regexp '^web +http +w\.example:9100 +-$'
	run cc-config -t
	assert_equal "$status" 2
}

@test "completion: peers, subcommands, methods and options" {
	run complete_line cc-tunnel ""
	assert_output "bastion
box
exec
gpu-1
web"
	run complete_line cc-tunnel exec g
	assert_output gpu-1
	run complete_line cc-deploy st
	assert_output "start
status
stop"
	run complete_line cc-deploy -c "$CODECAST_CONFIG" ensure b
	assert_output "bastion
box"
	run complete_line cc-rpc 19100 session.s
	assert_output "session.send
session.set_mode
session.set_model"
	run complete_line cc-session re
	assert_output "register
rename
resolve"
	# options come from the command's own --help
	run complete_line cc-rpc --fing
	assert_output --fingerprint
	run complete_line cc-config --pe
	assert_output "--peer
--peers"
	run complete_line cc-tunnel --close ""
	assert_line gpu-1
}
