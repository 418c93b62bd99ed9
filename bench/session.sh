#!/usr/bin/env bash
# bench/session.sh — cc-session resolve / find on a registry with 100,000
# sessions and 100,000 log rows: median whole-process wall time (hyperfine),
# side by side with the sqlite3 shell doing the same query (the floor) and a
# Python sqlite3 lookup the way upstream's SessionRouter does it (reference).
#
# Reproduce: make && bash bench/session.sh      (RUNS=N to change the count)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${CC_BIN:-$top/bin}
runs=${RUNS:-300}
py=/usr/bin/python3
command -v hyperfine >/dev/null || { echo "bench/session.sh: hyperfine is needed (make deps)" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export HOME="$dir" CODECAST_DB="$dir/sessions.db"

"$bin/cc-session" init
sqlite3 "$CODECAST_DB" <<'SQL'
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO sessions (channel_id, machine_id, path, daemon_session_id, sdk_session_id,
  status, mode, created_at, updated_at, name, tool_display, cli_type)
SELECT 'telegram:' || i, 'gpu-' || (i % 20), '/home/u/p' || i, 'daemon-' || i, 'sdk-' || i,
  CASE WHEN i % 3 = 0 THEN 'detached' ELSE 'active' END, 'auto',
  '2026-03-29T10:00:00.000000+00:00', '2026-03-29T10:00:00.000000+00:00',
  'name-' || i || '-s', 'buffer', 'claude' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO session_log (channel_id, machine_id, path, daemon_session_id, sdk_session_id,
  mode, created_at, detached_at, name, cli_type)
SELECT 'telegram:' || i, 'gpu-' || (i % 20), '/home/u/old' || i, 'old-daemon-' || i, NULL,
  'auto', '2026-03-28T10:00:00.000000+00:00', '2026-03-28T11:00:00.000000+00:00',
  'old-' || i || '-s', 'claude' FROM n;
COMMIT;
SQL
rows=$(sqlite3 "$CODECAST_DB" "SELECT (SELECT count(*) FROM sessions) || ' sessions, ' || (SELECT count(*) FROM session_log) || ' log rows'")
echo "registry: $rows ($(du -h "$CODECAST_DB" | cut -f1))"

# Upstream-style lookups: a fresh Python process, sqlite3.connect, one query.
cat > "$dir/upstream_resolve.py" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.row_factory = sqlite3.Row
r = c.execute("SELECT * FROM sessions WHERE channel_id = ? AND status = 'active'", (sys.argv[2],)).fetchone()
print(dict(r) if r else "")
PY
cat > "$dir/upstream_find.py" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.row_factory = sqlite3.Row
r = c.execute("SELECT * FROM sessions WHERE name = ?", (sys.argv[2],)).fetchone()
if r is None:
    r = c.execute("SELECT * FROM session_log WHERE name = ? ORDER BY detached_at DESC LIMIT 1", (sys.argv[2],)).fetchone()
print(dict(r) if r else "")
PY

hyperfine -N --warmup 20 --runs "$runs" --export-json "$dir/h.json" \
	-n "cc-session resolve" "$bin/cc-session resolve telegram:77777" \
	-n "cc-session find NAME" "$bin/cc-session find old-55555-s" \
	-n "sqlite3 shell resolve (floor)" "sqlite3 $CODECAST_DB \"SELECT * FROM sessions WHERE channel_id='telegram:77777' AND status='active'\"" \
	-n "python3 upstream-style resolve" "$py $dir/upstream_resolve.py $CODECAST_DB telegram:77777" \
	-n "python3 upstream-style find NAME" "$py $dir/upstream_find.py $CODECAST_DB old-55555-s" \
	>/dev/null

echo
printf '%-36s %10s %10s\n' "command" "median ms" "mean ms"
jq -r '.results[] | [.command, (.median*1000), (.mean*1000)] | @tsv' "$dir/h.json" |
	while IFS=$'\t' read -r name med mean; do
		printf '%-36s %10.2f %10.2f\n' "$name" "$med" "$mean"
	done
jq -r '.results as $r | "\ncc-session resolve: \(($r[3].median / $r[0].median * 10 | floor) / 10)x faster than upstream-style; find NAME: \(($r[4].median / $r[1].median * 10 | floor) / 10)x; target: median < 5 ms"' "$dir/h.json"
echo "reproduce: make && bash bench/session.sh"
