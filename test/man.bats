#!/usr/bin/env bats
# Every command has --help and a man page that renders cleanly; make install
# puts binaries and man pages where PREFIX and DESTDIR say.

load lib/common.bash

commands() {
	for d in "$CODECAST_TOP"/cmd/*/; do basename "$d"; done
}

@test "every command answers --help on stdout with exit 0" {
	for c in $(commands); do
		run "$CC_BIN/$c" --help
		[ "$status" -eq 0 ] || fail "$c --help exited $status"
		[[ "$output" == *"usage"* || "$output" == *"Usage"* ]] || fail "$c --help prints no usage"
	done
}

@test "every command has a man page, and every man page renders without warnings" {
	for c in $(commands); do
		[ -f "$CODECAST_TOP/man/$c.1" ] || fail "no man/$c.1"
	done
	for m in "$CODECAST_TOP"/man/*.[1-8]; do
		run bash -c "MANWIDTH=80 man -l '$m' 2>&1 >/dev/null"
		[ -z "$output" ] || fail "$m: $output"
		run bash -c "MANWIDTH=80 man -l '$m' | wc -l"
		[ "$output" -gt 10 ] || fail "$m renders to almost nothing"
	done
	for p in codecast.7 codecast.yaml.5; do
		[ -f "$CODECAST_TOP/man/$p" ] || fail "no man/$p"
	done
}

@test "make install honours PREFIX and DESTDIR" {
	dest="$BATS_TEST_TMPDIR/dest"
	run make -s -C "$CODECAST_TOP" install DESTDIR="$dest" PREFIX=/opt/cc \
		BUILD="$CC_BUILD" BIN="$CC_BIN" SANITIZE="${SANITIZE:-}"
	assert_success
	for c in $(commands); do
		[ -x "$dest/opt/cc/bin/$c" ] || fail "$c not installed"
	done
	# cc-deploy looks for the static daemon beside itself
	if [ "${SANITIZE:-}" != 1 ]; then
		[ -x "$dest/opt/cc/bin/cc-daemon-static" ] || fail "cc-daemon-static not installed"
	fi
	[ -f "$dest/opt/cc/share/man/man1/cc-config.1" ]
	[ -f "$dest/opt/cc/share/man/man5/codecast.yaml.5" ]
	[ -f "$dest/opt/cc/share/man/man7/codecast.7" ]
	# the bash completion, under every command's name
	for c in $(commands); do
		grep -q '^complete -F _codecast' "$dest/opt/cc/share/bash-completion/completions/$c" ||
			fail "no completion for $c"
	done
}
