/* chatfmt.h — the engine's fixed replies built from data: session lines and
 * lists, the status card, machine list, health and monitor reports
 * (reference upstream-engine.md §12.2–§12.6).  Rows are sessdb rows (jansson
 * objects keyed by column name); daemon results are the daemon's JSON.
 * Every function returns a malloc'd Markdown string; a missing or null
 * value prints as "?" (a missing count as 0), never as "None". */
#ifndef CC_CHATFMT_H
#define CC_CHATFMT_H

#include <jansson.h>

/* auto -> bypass; anything else unchanged (NULL: "?"). */
const char *display_mode(const char *mode);

/* "2h01m05s", "2m05s", "42s" (§12.6). */
char *fmt_uptime(long long secs);

/* §12.3: one DB session line; the list ("No sessions found." when empty). */
char *fmt_session_line(const json_t *row);
char *fmt_session_list(const json_t *rows);

/* §12.4: machines is an array of {id, host, status, daemon, default_paths[],
 * localhost}. */
char *fmt_machine_list(const json_t *machines);

/* §12.5: stats may be NULL (queue_stats failed). */
char *fmt_status(const json_t *row, const json_t *stats);

/* §12.6 */
char *fmt_health(const char *peer, const json_t *health);
char *fmt_monitor(const char *peer, const json_t *monitor);

#endif
