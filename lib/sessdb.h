/* sessdb.h — the session registry: upstream's sessions.db (SQLite), opened
 * unchanged and migrated in place.  Rows are returned as jansson objects
 * whose keys are the DB column names, so callers print them as they are.
 *
 * Every function returns 0 on success, 1 when nothing matched, -1 on error
 * with *errmsg set (malloc'd, one line, no program name). */
#ifndef CC_SESSDB_H
#define CC_SESSDB_H

#include <jansson.h>
#include <stdbool.h>

struct sessdb;

/* $CODECAST_DB, else ~/.codecast/sessions.db (malloc'd). */
char *sessdb_default_path(void);

/* Open (creating it 0600, its directory 0700) and bring the schema up to
 * date: upstream's tables, indexes and migrations, plus lookup indexes on
 * name and daemon_session_id.  WAL mode, busy timeout. */
int sessdb_open(const char *path, struct sessdb **out, char **errmsg);
void sessdb_close(struct sessdb *db);

struct sess_new {
	const char *channel, *machine, *path, *daemon_sid;
	const char *mode;		/* NULL: as before when resumed, else auto */
	const char *cli_type;		/* NULL: as before when resumed, else claude */
	const char *name;		/* NULL: as before when resumed, else generated */
	const char *sdk_session_id;	/* NULL: as before when resumed */
};

/* Register a session on a channel, detaching the channel's active session
 * into the log first.  A daemon session id seen before (a resume) keeps its
 * name, cli_type, mode, tool_display and sdk id unless given. *row is the
 * new row. */
int sessdb_register(struct sessdb *db, const struct sess_new *n, json_t **row,
    char **errmsg);
int sessdb_resolve(struct sessdb *db, const char *channel, json_t **row, char **errmsg);
/* Detach the channel's active session; *row is the session as it was. */
int sessdb_detach(struct sessdb *db, const char *channel, json_t **row, char **errmsg);
/* Mark destroyed every sessions row of a daemon session (given by its id or
 * its name); *rows lists them.  A session only in the log is history: it is
 * returned (from the log) and nothing changes. */
int sessdb_destroy(struct sessdb *db, const char *name_or_sid, json_t **rows,
    char **errmsg);
/* Upstream's destroy(channel): the channel's row in any status. */
int sessdb_destroy_channel(struct sessdb *db, const char *channel, json_t **row,
    char **errmsg);
/* Set sdk_session_id, mode, tool_display or cli_type on the channel's active
 * row.  Values are validated (mode: auto|code|plan|ask; tool_display:
 * buffer|timer|append|batch). */
int sessdb_set(struct sessdb *db, const char *channel, const char *key,
    const char *value, json_t **row, char **errmsg);
/* Rename the channel's active session (lower-cased, validated, unique across
 * both tables). */
int sessdb_rename(struct sessdb *db, const char *channel, const char *name,
    json_t **row, char **errmsg);
/* sessions rows (or session_log rows when log), newest first; peer and
 * status may be NULL. *rows is an array. */
int sessdb_list(struct sessdb *db, bool log, const char *peer, const char *status,
    json_t **rows, char **errmsg);
/* By name, then by daemon session id; sessions first, then the newest log
 * row (status "detached"). */
int sessdb_find(struct sessdb *db, const char *name_or_sid, json_t **row,
    char **errmsg);
int sessdb_find_path(struct sessdb *db, const char *peer, const char *path,
    json_t **rows, char **errmsg);

/* cc-engine's replies in flight (a table of ours, engine_inflight; upstream's
 * tables are untouched): key -> the channel and a JSON state.  list gives
 * the rows whose channel starts with prefix, oldest first. */
int sessdb_inflight_put(struct sessdb *db, const char *key, const char *channel,
    const char *state, char **errmsg);
int sessdb_inflight_del(struct sessdb *db, const char *key, char **errmsg);
int sessdb_inflight_list(struct sessdb *db, const char *prefix, json_t **rows,
    char **errmsg);

#endif
