/* discord_gw.h — Discord's wire formats without I/O: gateway payloads in
 * and out, the message and interaction objects turned into bridge events,
 * the engine's command list turned into application commands, and `ask`
 * turned into message components (reference upstream-platforms.md §1b).
 * Everything here takes untrusted JSON and is what the fuzz target
 * (fuzz/discord_gw_fuzz.c) exercises.  lib/discord.c does the talking. */
#ifndef CC_DISCORD_GW_H
#define CC_DISCORD_GW_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct strlist;

/* Gateway opcodes. */
#define DC_OP_DISPATCH		0
#define DC_OP_HEARTBEAT		1
#define DC_OP_IDENTIFY		2
#define DC_OP_RESUME		6
#define DC_OP_RECONNECT		7
#define DC_OP_INVALID_SESSION	9
#define DC_OP_HELLO		10
#define DC_OP_HEARTBEAT_ACK	11

/* GUILDS | GUILD_MESSAGES | DIRECT_MESSAGES | MESSAGE_CONTENT */
#define DC_INTENTS	((1 << 0) | (1 << 9) | (1 << 12) | (1 << 15))

#define DC_MAX_LEN	2000	/* a message's content */

/* One gateway payload {op, d, s, t}. */
struct dc_gw {
	int op;
	json_t *d;		/* borrowed from root (may be NULL) */
	long long s;		/* -1 when absent or null */
	const char *t;		/* NULL when absent or null */
	json_t *root;		/* owned: json_decref when done */
};

/* Parse one text frame.  0, or -1 (not a payload: no object, no integer op;
 * g->root is then NULL). */
int dc_gw_parse(const char *s, size_t n, struct dc_gw *g);

/* Outgoing payloads, malloc'd JSON text.  seq < 0 sends null. */
char *dc_gw_heartbeat(long long seq);
char *dc_gw_identify(const char *token, int intents);
char *dc_gw_resume(const char *token, const char *session_id, long long seq);

/* A snowflake as text (Discord sends strings; integers are taken too), or
 * NULL.  malloc'd. */
char *dc_id(json_t *v);

/* s cut to at most max code points, "…" ending a cut one.  malloc'd. */
char *dc_cut(const char *s, size_t max);

/* The message event for a MESSAGE_CREATE's d (without files), or NULL when
 * it is to be ignored (from a bot, from us, no channel or author).
 * prefix: the text command prefix ("/"; another one is turned into "/").
 * admins: bot.discord.admin_users. */
json_t *dc_message_event(json_t *d, const char *bot_id, const char *prefix,
    const struct strlist *admins);

/* The user of an interaction (member.user in guilds, user in DMs): id and
 * a display name, malloc'd; false when there is none. */
bool dc_interaction_user(json_t *d, char **id, char **name);

/* An APPLICATION_COMMAND's data as the engine's text command: "/name" and
 * the options in the order the engine declared them (list: its `commands`
 * list, may be NULL); required ones and one named "args" by value, other
 * optional ones as "--name value".  malloc'd; NULL when data has no name. */
char *dc_command_text(json_t *data, json_t *list);

/* The engine's command list as Discord application commands (names
 * checked, descriptions cut to 100, options typed as strings with
 * autocomplete or choices, required first; at most 100). */
json_t *dc_commands_payload(json_t *list);

/* The focused option of an AUTOCOMPLETE's data: its name and value
 * (borrowed); false when none is. */
bool dc_focused_option(json_t *data, const char **name, const char **value);

/* custom_id for an ask's option (value) or its select menu (value NULL):
 * "cc|REF|VALUE" or "cc|REF", NULL when over Discord's 100 characters.
 * dc_custom_parse splits one again (value NULL for a select); false when
 * it is not ours. */
char *dc_custom_id(const char *ref, const char *value);
bool dc_custom_parse(const char *id, char **ref, char **value);

/* Message components for an ask: buttons (at most 5 options, single
 * choice) or a string select (more options, or multi-select; at most 25).
 * NULL with *err set when it cannot be shown. */
json_t *dc_ask_components(json_t *options, bool multi, const char *ref,
    const char **err);

/* The labels of the chosen values as shown in an interaction's message
 * components (custom ids as dc_custom_id made them), joined by ", ".
 * malloc'd, "" when none is found. */
char *dc_chosen_labels(json_t *components, const char *ref, json_t *values);

#endif
