/* Unit tests for lib/sessdb: four processes hammering one database. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sessdb.h"
#include "tap.h"
#include "util.h"

#define NPROC 4
#define NOPS 500

/* One worker: NOPS rounds of register, resolve, detach on its own channels.
 * Exit status: 0 all fine, 1 a lock error, 2 another error. */
static int
worker(const char *path, int id)
{
	struct sessdb *db;
	char *emsg = NULL;
	int rc = 0;

	if (sessdb_open(path, &db, &emsg) != 0) {
		fprintf(stderr, "worker %d: open: %s\n", id, emsg);
		return strstr(emsg, "locked") ? 1 : 2;
	}
	for (int i = 0; i < NOPS && rc == 0; i++) {
		char *ch = xasprintf("test:%d:%d", id, i % 10);
		char *sid = xasprintf("sid-%d-%d", id, i);
		struct sess_new n = { ch, "peer", "/p", sid, NULL, NULL, NULL, NULL };
		json_t *row = NULL;
		if (sessdb_register(db, &n, &row, &emsg) != 0 ||
		    (json_decref(row), sessdb_resolve(db, ch, &row, &emsg)) != 0 ||
		    strcmp(json_string_value(json_object_get(row, "daemon_session_id")), sid) != 0 ||
		    (json_decref(row), sessdb_detach(db, ch, &row, &emsg)) != 0) {
			fprintf(stderr, "worker %d op %d: %s\n", id, i, emsg ? emsg : "mismatch");
			rc = emsg && strstr(emsg, "locked") ? 1 : 2;
		}
		json_decref(row);
		free(ch);
		free(sid);
	}
	sessdb_close(db);
	return rc;
}

int
main(void)
{
	char dir[] = "/tmp/cc-sessdb-XXXXXX";
	char *path, *emsg = NULL;
	struct sessdb *db;
	json_t *rows;
	pid_t pids[NPROC];

	if (mkdtemp(dir) == NULL)
		return 1;
	path = xasprintf("%s/sessions.db", dir);
	ok(sessdb_open(path, &db, &emsg) == 0, "create the database");
	sessdb_close(db);

	for (int i = 0; i < NPROC; i++) {
		if ((pids[i] = fork()) == 0)
			_exit(worker(path, i));
		ok(pids[i] > 0, "fork a worker");
	}
	int locked = 0, other = 0;
	for (int i = 0; i < NPROC; i++) {
		int st;
		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st))
			other++;
		else if (WEXITSTATUS(st) == 1)
			locked++;
		else if (WEXITSTATUS(st) != 0)
			other++;
	}
	is_int(locked, 0, "no worker saw \"database is locked\"");
	is_int(other, 0, "every worker finished all its operations");

	ok(sessdb_open(path, &db, &emsg) == 0, "reopen");
	ok(sessdb_list(db, false, NULL, NULL, &rows, &emsg) == 0, "list sessions");
	is_int((long long)json_array_size(rows), NPROC * 10, "one row per channel (4 workers x 10 channels)");
	size_t detached = 0;
	for (size_t i = 0; i < json_array_size(rows); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(rows, i), "status")), "detached"))
			detached++;
	is_int((long long)detached, NPROC * 10, "every channel ends detached");
	json_decref(rows);
	ok(sessdb_list(db, true, NULL, NULL, &rows, &emsg) == 0, "list the log");
	is_int((long long)json_array_size(rows), NPROC * NOPS, "one log row per detach: every operation accounted for");
	/* Every daemon session id appears exactly once in the log. */
	int dup = 0;
	for (size_t i = 0; i < json_array_size(rows); i++) {
		const char *sid = json_string_value(json_object_get(json_array_get(rows, i), "daemon_session_id"));
		json_t *r = NULL;
		if (sessdb_find(db, sid, &r, &emsg) != 0)
			dup++;
		json_decref(r);
	}
	is_int(dup, 0, "every logged session is found by its id");
	/* Names are unique across the log. */
	json_t *seen = json_object();
	int clash = 0;
	for (size_t i = 0; i < json_array_size(rows); i++) {
		const char *nm = json_string_value(json_object_get(json_array_get(rows, i), "name"));
		if (json_object_get(seen, nm))
			clash++;
		json_object_set_new(seen, nm, json_true());
	}
	is_int(clash, 0, "2000 generated names are all distinct");
	json_decref(seen);
	json_decref(rows);
	sessdb_close(db);

	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	free(cmd);
	free(path);
	return tap_done();
}
