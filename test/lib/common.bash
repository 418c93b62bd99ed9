# common.bash — shared setup for the bats suites: a private HOME per test so
# nothing touches the real ~/.codecast, and the bats helper libraries.
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

cc_setup_home() {
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset CODECAST_CONFIG CODECAST_DB CODECAST_TOKEN
	cd "$BATS_TEST_TMPDIR" || return 1
}

# assert that the last `run` produced exactly one line on stderr+stdout and
# did not die from a signal (exit status >= 128 would be a crash).
assert_one_line_error() {
	assert_failure
	[ "$status" -lt 128 ] || fail "crashed with status $status"
	[ "${#lines[@]}" -eq 1 ] || fail "expected one line, got ${#lines[@]}: $output"
}
