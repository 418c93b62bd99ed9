/* sessdb.c — see sessdb.h.  The schema and migrations are upstream's
 * (upstream-infra.md §4.2), in the same order, so a database either head
 * created stays readable by both. */
#include "sessdb.h"
#include "names.h"
#include "paths.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sessdb {
	sqlite3 *db;
	char *path;
};

/* Upstream's CREATE statements, verbatim in shape. */
static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS sessions ("
	" channel_id TEXT PRIMARY KEY,"
	" machine_id TEXT NOT NULL,"
	" path TEXT NOT NULL,"
	" daemon_session_id TEXT NOT NULL,"
	" sdk_session_id TEXT,"
	" status TEXT NOT NULL DEFAULT 'active',"
	" mode TEXT NOT NULL DEFAULT 'auto',"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL,"
	" name TEXT)",
	"CREATE TABLE IF NOT EXISTS session_log ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" channel_id TEXT NOT NULL,"
	" machine_id TEXT NOT NULL,"
	" path TEXT NOT NULL,"
	" daemon_session_id TEXT NOT NULL,"
	" sdk_session_id TEXT,"
	" mode TEXT,"
	" created_at TEXT NOT NULL,"
	" detached_at TEXT,"
	" name TEXT)",
	"CREATE INDEX IF NOT EXISTS idx_session_log_machine ON session_log(machine_id)",
	"CREATE INDEX IF NOT EXISTS idx_session_log_daemon_id ON session_log(daemon_session_id)",
};

/* Upstream's migrations: table, column, definition. */
static const char *const migrations[][3] = {
	{ "sessions", "name", "TEXT" },
	{ "session_log", "name", "TEXT" },
	{ "sessions", "tool_display", "TEXT NOT NULL DEFAULT 'buffer'" },
	{ "sessions", "cli_type", "TEXT DEFAULT 'claude'" },
	{ "session_log", "cli_type", "TEXT DEFAULT 'claude'" },
};

/* Ours: lookups by name and daemon id stay O(log n) on large registries.
 * Extra indexes are invisible to upstream's code. */
static const char *const lookup_indexes[] = {
	"CREATE INDEX IF NOT EXISTS idx_sessions_name ON sessions(name)",
	"CREATE INDEX IF NOT EXISTS idx_sessions_daemon_id ON sessions(daemon_session_id)",
	"CREATE INDEX IF NOT EXISTS idx_session_log_name ON session_log(name)",
	"CREATE INDEX IF NOT EXISTS idx_sessions_machine_path ON sessions(machine_id, path)",
	/* cc-engine's replies in flight, resumed after a restart. */
	"CREATE TABLE IF NOT EXISTS engine_inflight ("
	" key TEXT PRIMARY KEY,"
	" channel_id TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" updated_at TEXT NOT NULL)",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
db_fail(struct sessdb *db, char **errmsg, const char *what)
{
	*errmsg = xasprintf("%s: %s: %s", db->path, what, sqlite3_errmsg(db->db));
	return -1;
}

static int
exec_sql(struct sessdb *db, const char *sql, char **errmsg)
{
	char *e = NULL;

	if (sqlite3_exec(db->db, sql, NULL, NULL, &e) != SQLITE_OK) {
		*errmsg = xasprintf("%s: %s", db->path, e ? e : sqlite3_errmsg(db->db));
		sqlite3_free(e);
		return -1;
	}
	return 0;
}

static int
prepare(struct sessdb *db, const char *sql, sqlite3_stmt **st, char **errmsg)
{
	if (sqlite3_prepare_v2(db->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_fail(db, errmsg, "prepare");
	return 0;
}

/* Bind NULL-able text parameters 1..n. */
static void
bind_texts(sqlite3_stmt *st, int n, const char *const *v)
{
	for (int i = 0; i < n; i++) {
		if (v[i])
			sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, i + 1);
	}
}

static json_t *
row_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int n = sqlite3_column_count(st);

	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		json_t *v;
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_NULL:
			v = json_null();
			break;
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(st, i));
			break;
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(st, i));
			break;
		default:
			v = json_stringn((const char *)sqlite3_column_text(st, i),
			    (size_t)sqlite3_column_bytes(st, i));
			if (v == NULL)		/* not UTF-8: keep the row printable */
				v = json_string("?");
			break;
		}
		json_object_set_new(o, name, v);
	}
	return o;
}

/* Run a query; collect its rows into *rows (array).  Returns the count or -1. */
static int
query_rows(struct sessdb *db, const char *sql, int n, const char *const *args,
    json_t **rows, char **errmsg)
{
	sqlite3_stmt *st;
	json_t *a = json_array();
	int rc, count = 0;

	if (prepare(db, sql, &st, errmsg) != 0) {
		json_decref(a);
		return -1;
	}
	bind_texts(st, n, args);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_array_append_new(a, row_json(st));
		count++;
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, errmsg, "query");
		sqlite3_finalize(st);
		json_decref(a);
		return -1;
	}
	sqlite3_finalize(st);
	*rows = a;
	return count;
}

/* The first row of a query, or NULL (with 0) when none; -1 on error. */
static int
query_one(struct sessdb *db, const char *sql, int n, const char *const *args,
    json_t **row, char **errmsg)
{
	json_t *a;
	int c = query_rows(db, sql, n, args, &a, errmsg);

	*row = NULL;
	if (c < 0)
		return -1;
	if (c > 0)
		*row = json_incref(json_array_get(a, 0));
	json_decref(a);
	return 0;
}

static int
change(struct sessdb *db, const char *sql, int n, const char *const *args, char **errmsg)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, sql, &st, errmsg) != 0)
		return -1;
	bind_texts(st, n, args);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, errmsg, "write");
	return sqlite3_changes(db->db);
}

static bool
has_column(struct sessdb *db, const char *table, const char *column)
{
	char *sql = xasprintf("PRAGMA table_info(%s)", table);
	sqlite3_stmt *st;
	bool found = false;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			if (strcmp((const char *)sqlite3_column_text(st, 1), column) == 0)
				found = true;
		sqlite3_finalize(st);
	}
	free(sql);
	return found;
}

/* BEGIN IMMEDIATE takes the write lock up front, so concurrent writers wait
 * in the busy handler instead of failing on a lock upgrade. */
static int
begin(struct sessdb *db, char **errmsg)
{
	return exec_sql(db, "BEGIN IMMEDIATE", errmsg);
}

static int
commit(struct sessdb *db, char **errmsg)
{
	return exec_sql(db, "COMMIT", errmsg);
}

static void
rollback(struct sessdb *db)
{
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
init_schema(struct sessdb *db, char **errmsg)
{
	bool need = false;

	/* Fast path: everything in place (the common case) needs no write lock. */
	for (size_t i = 0; i < NELEM(migrations); i++)
		if (!has_column(db, migrations[i][0], migrations[i][1]))
			need = true;
	if (!need) {
		json_t *row;
		const char *arg[] = { "engine_inflight" };
		if (query_one(db, "SELECT name FROM sqlite_master WHERE type='table' AND name=?",
		    1, arg, &row, errmsg) != 0)
			return -1;
		if (row) {
			json_decref(row);
			return 0;
		}
	}
	if (begin(db, errmsg) != 0)
		return -1;
	for (size_t i = 0; i < NELEM(schema); i++)
		if (exec_sql(db, schema[i], errmsg) != 0)
			goto fail;
	for (size_t i = 0; i < NELEM(migrations); i++) {
		if (has_column(db, migrations[i][0], migrations[i][1]))
			continue;
		char *sql = xasprintf("ALTER TABLE %s ADD COLUMN %s %s", migrations[i][0],
		    migrations[i][1], migrations[i][2]);
		int rc = exec_sql(db, sql, errmsg);
		free(sql);
		if (rc != 0)
			goto fail;
	}
	for (size_t i = 0; i < NELEM(lookup_indexes); i++)
		if (exec_sql(db, lookup_indexes[i], errmsg) != 0)
			goto fail;
	return commit(db, errmsg);
fail:
	rollback(db);
	return -1;
}

char *
sessdb_default_path(void)
{
	const char *e = getenv("CODECAST_DB");

	if (e && *e)
		return xstrdup(e);
	return path_state("sessions.db");
}

int
sessdb_open(const char *path, struct sessdb **out, char **errmsg)
{
	struct sessdb *db = xcalloc(1, sizeof *db);
	int fd;

	*out = NULL;
	db->path = xstrdup(path);
	if (access(path, F_OK) != 0) {
		/* Created here so it is 0600 (and its -wal/-shm follow its mode). */
		if (mkdir_parent(path, 0700) != 0) {
			*errmsg = xasprintf("%s: %s", path, strerror(errno));
			goto fail;
		}
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
			*errmsg = xasprintf("%s: %s", path, strerror(errno));
			goto fail;
		}
		close(fd);
	}
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		*errmsg = xasprintf("%s: %s", path, db->db ? sqlite3_errmsg(db->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(db->db, 15000);
	sqlite3_extended_result_codes(db->db, 0);
	if (exec_sql(db, "PRAGMA journal_mode=WAL", errmsg) != 0 ||
	    exec_sql(db, "PRAGMA synchronous=NORMAL", errmsg) != 0 ||
	    init_schema(db, errmsg) != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	sessdb_close(db);
	return -1;
}

void
sessdb_close(struct sessdb *db)
{
	if (db == NULL)
		return;
	if (db->db)
		sqlite3_close(db->db);
	free(db->path);
	free(db);
}

static const char *
jget(json_t *row, const char *key)
{
	return row ? json_string_value(json_object_get(row, key)) : NULL;
}

/* Detach inside an open transaction.  Returns 0 (and *was) or 1 when the
 * channel has no active session. */
static int
detach_locked(struct sessdb *db, const char *channel, json_t **was, const char *now,
    char **errmsg)
{
	const char *arg[] = { channel };
	json_t *row;

	*was = NULL;
	if (query_one(db, "SELECT * FROM sessions WHERE channel_id=? AND status='active'",
	    1, arg, &row, errmsg) != 0)
		return -1;
	if (row == NULL)
		return 1;
	const char *ins[] = { jget(row, "channel_id"), jget(row, "machine_id"),
	    jget(row, "path"), jget(row, "daemon_session_id"), jget(row, "sdk_session_id"),
	    jget(row, "mode"), jget(row, "created_at"), now, jget(row, "name"),
	    jget(row, "cli_type") };
	if (change(db, "INSERT INTO session_log (channel_id, machine_id, path,"
	    " daemon_session_id, sdk_session_id, mode, created_at, detached_at, name, cli_type)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?)", 10, ins, errmsg) < 0 ||
	    change(db, "UPDATE sessions SET status='detached', updated_at=? WHERE channel_id=?",
	    2, (const char *[]){ now, channel }, errmsg) < 0) {
		json_decref(row);
		return -1;
	}
	*was = row;
	return 0;
}

/* Is name used by any row not belonging to daemon session sid? 1 yes, 0 no. */
static int
name_taken(struct sessdb *db, const char *name, const char *sid, char **errmsg)
{
	const char *arg[] = { name, sid ? sid : "", name, sid ? sid : "" };
	json_t *row;

	if (query_one(db, "SELECT 1 AS x FROM sessions WHERE name=? AND daemon_session_id<>?"
	    " UNION ALL SELECT 1 FROM session_log WHERE name=? AND daemon_session_id<>? LIMIT 1",
	    4, arg, &row, errmsg) != 0)
		return -1;
	if (row) {
		json_decref(row);
		return 1;
	}
	return 0;
}

/* Upstream's rule: up to 100 random draws, then base-K with the smallest K. */
static char *
unique_name(struct sessdb *db, char **errmsg)
{
	char *base = NULL;

	for (int i = 0; i < 100; i++) {
		char *n = name_random();
		int t = name_taken(db, n, NULL, errmsg);
		if (t == 0)
			return n;
		free(n);
		if (t < 0)
			return NULL;
	}
	base = name_random();
	for (unsigned k = 1; ; k++) {
		char *n = name_with_suffix(base, k);
		int t = name_taken(db, n, NULL, errmsg);
		if (t == 0) {
			free(base);
			return n;
		}
		free(n);
		if (t < 0) {
			free(base);
			return NULL;
		}
	}
}

static int
find_locked(struct sessdb *db, const char *col, const char *value, json_t **row,
    char **errmsg)
{
	const char *arg[] = { value };
	char *sql;
	int rc;

	sql = xasprintf("SELECT * FROM sessions WHERE %s=? ORDER BY updated_at DESC LIMIT 1", col);
	rc = query_one(db, sql, 1, arg, row, errmsg);
	free(sql);
	if (rc != 0 || *row)
		return rc;
	sql = xasprintf("SELECT channel_id, machine_id, path, daemon_session_id, sdk_session_id,"
	    " 'detached' AS status, COALESCE(mode, 'auto') AS mode, created_at,"
	    " COALESCE(detached_at, created_at) AS updated_at, name, NULL AS tool_display,"
	    " COALESCE(cli_type, 'claude') AS cli_type, id AS log_id, detached_at"
	    " FROM session_log WHERE %s=? ORDER BY detached_at DESC, id DESC LIMIT 1", col);
	rc = query_one(db, sql, 1, arg, row, errmsg);
	free(sql);
	return rc;
}

static bool one_of(const char *v, const char *const *set);
static const char *const sess_modes[] = { "auto", "code", "plan", "ask", NULL };

int
sessdb_register(struct sessdb *db, const struct sess_new *n, json_t **row, char **errmsg)
{
	json_t *was = NULL, *prev = NULL;
	char *now = iso8601_now(), *name = NULL;
	int rc = -1;

	*row = NULL;
	if (n->name && !name_valid(n->name)) {
		*errmsg = xasprintf("\"%s\": not a valid name (lowercase words joined by '-')", n->name);
		free(now);
		return -1;
	}
	if (n->mode && !one_of(n->mode, sess_modes)) {
		*errmsg = xasprintf("mode: \"%s\" is not auto, code, plan or ask", n->mode);
		free(now);
		return -1;
	}
	if (begin(db, errmsg) != 0) {
		free(now);
		return -1;
	}
	if (detach_locked(db, n->channel, &was, now, errmsg) < 0)
		goto fail;
	if (find_locked(db, "daemon_session_id", n->daemon_sid, &prev, errmsg) != 0)
		goto fail;
	if (n->name) {
		int t = name_taken(db, n->name, n->daemon_sid, errmsg);
		if (t < 0)
			goto fail;
		if (t) {
			*errmsg = xasprintf("name \"%s\" is already in use", n->name);
			goto fail;
		}
		name = xstrdup(n->name);
	} else if (jget(prev, "name")) {
		name = xstrdup(jget(prev, "name"));
	} else if ((name = unique_name(db, errmsg)) == NULL) {
		goto fail;
	}
	const char *mode = n->mode ? n->mode : jget(prev, "mode") ? jget(prev, "mode") : "auto";
	const char *cli = n->cli_type ? n->cli_type :
	    jget(prev, "cli_type") ? jget(prev, "cli_type") : "claude";
	const char *sdk = n->sdk_session_id ? n->sdk_session_id : jget(prev, "sdk_session_id");
	const char *td = jget(prev, "tool_display") ? jget(prev, "tool_display") : "buffer";
	const char *ins[] = { n->channel, n->machine, n->path, n->daemon_sid, sdk, mode,
	    now, now, name, td, cli };
	if (change(db, "INSERT OR REPLACE INTO sessions (channel_id, machine_id, path,"
	    " daemon_session_id, sdk_session_id, status, mode, created_at, updated_at, name,"
	    " tool_display, cli_type) VALUES (?,?,?,?,?,'active',?,?,?,?,?,?)",
	    11, ins, errmsg) < 0)
		goto fail;
	if (query_one(db, "SELECT * FROM sessions WHERE channel_id=?", 1,
	    (const char *[]){ n->channel }, row, errmsg) != 0)
		goto fail;
	if (commit(db, errmsg) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	rollback(db);
	json_decref(*row);
	*row = NULL;
out:
	json_decref(was);
	json_decref(prev);
	free(name);
	free(now);
	return rc;
}

int
sessdb_resolve(struct sessdb *db, const char *channel, json_t **row, char **errmsg)
{
	if (query_one(db, "SELECT * FROM sessions WHERE channel_id=? AND status='active'",
	    1, (const char *[]){ channel }, row, errmsg) != 0)
		return -1;
	return *row ? 0 : 1;
}

int
sessdb_detach(struct sessdb *db, const char *channel, json_t **row, char **errmsg)
{
	char *now = iso8601_now();
	int rc;

	*row = NULL;
	if (begin(db, errmsg) != 0) {
		free(now);
		return -1;
	}
	rc = detach_locked(db, channel, row, now, errmsg);
	free(now);
	if (rc < 0 || commit(db, errmsg) != 0) {
		rollback(db);
		json_decref(*row);
		*row = NULL;
		return -1;
	}
	if (rc == 0)
		json_object_set_new(*row, "status", json_string("detached"));
	return rc;
}

int
sessdb_destroy(struct sessdb *db, const char *name_or_sid, json_t **rows, char **errmsg)
{
	char *now = iso8601_now();
	json_t *hit = NULL;
	int rc = -1;

	*rows = NULL;
	if (begin(db, errmsg) != 0) {
		free(now);
		return -1;
	}
	/* Which daemon session: by name first, then by id (like find). */
	if (find_locked(db, "name", name_or_sid, &hit, errmsg) != 0)
		goto fail;
	if (hit == NULL && find_locked(db, "daemon_session_id", name_or_sid, &hit, errmsg) != 0)
		goto fail;
	if (hit == NULL) {
		rollback(db);
		free(now);
		return 1;
	}
	const char *sid = jget(hit, "daemon_session_id");
	const char *args[] = { now, sid };
	if (change(db, "UPDATE sessions SET status='destroyed', updated_at=?"
	    " WHERE daemon_session_id=?", 2, args, errmsg) < 0)
		goto fail;
	int c = query_rows(db, "SELECT * FROM sessions WHERE daemon_session_id=?"
	    " ORDER BY updated_at DESC", 1, &args[1], rows, errmsg);
	if (c < 0)
		goto fail;
	if (c == 0)
		json_array_append(*rows, hit);	/* only in the log: history */
	if (commit(db, errmsg) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	rollback(db);
	json_decref(*rows);
	*rows = NULL;
out:
	json_decref(hit);
	free(now);
	return rc;
}

int
sessdb_destroy_channel(struct sessdb *db, const char *channel, json_t **row, char **errmsg)
{
	char *now = iso8601_now();
	int c;

	*row = NULL;
	c = change(db, "UPDATE sessions SET status='destroyed', updated_at=? WHERE channel_id=?",
	    2, (const char *[]){ now, channel }, errmsg);
	free(now);
	if (c < 0)
		return -1;
	if (c == 0)
		return 1;
	if (query_one(db, "SELECT * FROM sessions WHERE channel_id=?", 1,
	    (const char *[]){ channel }, row, errmsg) != 0)
		return -1;
	return *row ? 0 : 1;
}

static bool
one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

int
sessdb_set(struct sessdb *db, const char *channel, const char *key, const char *value,
    json_t **row, char **errmsg)
{
	static const char *const *modes = sess_modes;
	static const char *const displays[] = { "live", "buffer", "timer", "append",
	    "batch", NULL };
	static const char *const keys[] = { "sdk_session_id", "mode", "tool_display",
	    "cli_type", NULL };
	char *now, *sql;
	int c;

	*row = NULL;
	if (!one_of(key, keys)) {
		*errmsg = xasprintf("%s: not a settable field (sdk_session_id, mode, tool_display,"
		    " cli_type)", key);
		return -1;
	}
	if (!strcmp(key, "mode") && !one_of(value, modes)) {
		*errmsg = xasprintf("mode: \"%s\" is not auto, code, plan or ask", value);
		return -1;
	}
	if (!strcmp(key, "tool_display") && !one_of(value, displays)) {
		*errmsg = xasprintf("tool_display: \"%s\" is not live, buffer, timer, append or batch", value);
		return -1;
	}
	if ((!strcmp(key, "mode") || !strcmp(key, "tool_display") || !strcmp(key, "cli_type")) &&
	    *value == '\0') {
		*errmsg = xasprintf("%s: empty value", key);
		return -1;
	}
	now = iso8601_now();
	sql = xasprintf("UPDATE sessions SET %s=?, updated_at=? WHERE channel_id=? AND status='active'",
	    key);
	/* An empty sdk_session_id clears it. */
	const char *v = !strcmp(key, "sdk_session_id") && *value == '\0' ? NULL : value;
	c = change(db, sql, 3, (const char *[]){ v, now, channel }, errmsg);
	free(sql);
	free(now);
	if (c < 0)
		return -1;
	if (c == 0)
		return 1;
	return sessdb_resolve(db, channel, row, errmsg);
}

int
sessdb_rename(struct sessdb *db, const char *channel, const char *name, json_t **row,
    char **errmsg)
{
	char *lower = xstrdup(name), *now;
	json_t *cur = NULL;
	int rc = -1;

	*row = NULL;
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!name_valid(lower)) {
		*errmsg = xasprintf("\"%s\": not a valid name (lowercase letters and digits in two or"
		    " more groups joined by '-', at most 50 characters)", name);
		free(lower);
		return -1;
	}
	now = iso8601_now();
	if (begin(db, errmsg) != 0)
		goto out;
	if (query_one(db, "SELECT * FROM sessions WHERE channel_id=? AND status='active'", 1,
	    (const char *[]){ channel }, &cur, errmsg) != 0)
		goto fail;
	if (cur == NULL) {
		rollback(db);
		rc = 1;
		goto out;
	}
	int t = name_taken(db, lower, jget(cur, "daemon_session_id"), errmsg);
	if (t < 0)
		goto fail;
	if (t) {
		*errmsg = xasprintf("name \"%s\" is already in use", lower);
		goto fail;
	}
	if (change(db, "UPDATE sessions SET name=?, updated_at=? WHERE channel_id=?"
	    " AND status='active'", 3, (const char *[]){ lower, now, channel }, errmsg) < 0 ||
	    query_one(db, "SELECT * FROM sessions WHERE channel_id=?", 1,
	    (const char *[]){ channel }, row, errmsg) != 0 ||
	    commit(db, errmsg) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	rollback(db);
	json_decref(*row);
	*row = NULL;
out:
	json_decref(cur);
	free(lower);
	free(now);
	return rc;
}

int
sessdb_list(struct sessdb *db, bool log, const char *peer, const char *status,
    json_t **rows, char **errmsg)
{
	struct buf sql = {0};
	const char *args[2];
	int n = 0, c;

	buf_puts(&sql, log ? "SELECT * FROM session_log WHERE 1" :
	    "SELECT * FROM sessions WHERE 1");
	if (peer) {
		buf_puts(&sql, " AND machine_id=?");
		args[n++] = peer;
	}
	if (status && !log) {
		buf_puts(&sql, " AND status=?");
		args[n++] = status;
	}
	buf_puts(&sql, log ? " ORDER BY id DESC" : " ORDER BY updated_at DESC");
	c = query_rows(db, sql.s, n, args, rows, errmsg);
	buf_free(&sql);
	return c < 0 ? -1 : 0;
}

int
sessdb_find(struct sessdb *db, const char *name_or_sid, json_t **row, char **errmsg)
{
	if (find_locked(db, "name", name_or_sid, row, errmsg) != 0)
		return -1;
	if (*row == NULL && find_locked(db, "daemon_session_id", name_or_sid, row, errmsg) != 0)
		return -1;
	return *row ? 0 : 1;
}

int
sessdb_find_path(struct sessdb *db, const char *peer, const char *path, json_t **rows,
    char **errmsg)
{
	int c = query_rows(db, "SELECT * FROM sessions WHERE machine_id=? AND path=?"
	    " ORDER BY updated_at DESC", 2, (const char *[]){ peer, path }, rows, errmsg);

	if (c < 0)
		return -1;
	if (c == 0) {
		json_decref(*rows);
		*rows = NULL;
		return 1;
	}
	return 0;
}

int
sessdb_inflight_put(struct sessdb *db, const char *key, const char *channel,
    const char *state, char **errmsg)
{
	char *now = iso8601_now();
	int rc = change(db, "INSERT OR REPLACE INTO engine_inflight"
	    " (key, channel_id, state, updated_at) VALUES (?,?,?,?)", 4,
	    (const char *[]){ key, channel, state, now }, errmsg);

	free(now);
	return rc < 0 ? -1 : 0;
}

int
sessdb_inflight_del(struct sessdb *db, const char *key, char **errmsg)
{
	return change(db, "DELETE FROM engine_inflight WHERE key=?", 1,
	    (const char *[]){ key }, errmsg) < 0 ? -1 : 0;
}

int
sessdb_inflight_list(struct sessdb *db, const char *prefix, json_t **rows,
    char **errmsg)
{
	int n = query_rows(db, "SELECT * FROM engine_inflight WHERE"
	    " substr(channel_id, 1, length(?)) = ? ORDER BY updated_at", 2,
	    (const char *[]){ prefix, prefix }, rows, errmsg);

	return n < 0 ? -1 : 0;
}
