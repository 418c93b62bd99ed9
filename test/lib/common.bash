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

# wait_for CONDITION [SECONDS]: eval CONDITION every 50 ms until it holds
# (status 0) or SECONDS pass (default $WAIT_SECS, else 10; status 1 after
# saying what was awaited and, when the suite defines it, running
# wait_for_diag to show its logs).  test/lib/web.bash has its own, counted
# in tries.
wait_for() {
	local n=$(( ${2:-${WAIT_SECS:-10}} * 20 ))
	for _ in $(seq "$n"); do eval "$1" && return 0; sleep 0.05; done
	echo "timed out waiting for: $1" >&2
	if declare -F wait_for_diag >/dev/null; then wait_for_diag >&2; fi
	return 1
}
