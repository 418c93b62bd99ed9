/* lark_event.h — Lark's events (schema 2.0, the same over the long
 * connection and HTTP callbacks; reference upstream-platforms.md §3b) taken
 * apart into what the bridge needs, without I/O: a received message as the
 * bridge's `message` event plus the resources to download, a card button
 * press, and the value a button of ours carries.  Everything here takes
 * untrusted JSON and is exercised by the fuzz target (fuzz/lark_fuzz.c). */
#ifndef CC_LARK_EVENT_H
#define CC_LARK_EVENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct strlist;

/* One event envelope. */
struct lark_event {
	json_t *root;		/* owned: json_decref when done */
	const char *event_id;	/* header.event_id (v1: uuid); NULL when none */
	const char *type;	/* header.event_type (v1: event.type) */
	const char *token;	/* header.token (v1: token): the verification token */
	json_t *event;		/* borrowed from root */
};

/* Parse an event's JSON text.  0, or -1 when it is not an object (e->root
 * NULL). */
int lark_event_parse(const char *s, size_t n, struct lark_event *e);

/* An image or file of a received message, to fetch with
 * GET /im/v1/messages/{message_id}/resources/{key}?type=TYPE. */
struct lark_res {
	char *message_id, *key;
	char *type;		/* "image" or "file" */
	char *name;		/* a file name (the file's, or KEY.png) */
};
void lark_res_free(struct lark_res *r, size_t n);

/* im.message.receive_v1's event object as the bridge's message event
 * ({type, channel "lark:CHAT", user, name, admin, text, files: []}),
 * mentions placed at the start removed and the others written as @name,
 * post content flattened to text; NULL when it is to be ignored (sent by an
 * app, no chat or sender, not text, post, image or file, nothing in it).
 * *res and *nres receive what must be downloaded (may be none).  chat_type
 * (p2p/group) and message_id are set when not NULL (borrowed from ev). */
json_t *lark_message_event(json_t *ev, const struct strlist *admins,
    struct lark_res **res, size_t *nres, const char **chat_type,
    const char **message_id);

/* The value our ask buttons carry: {"cc":REF,"v":VALUE} (a multi-select's
 * "done" button: {"cc":REF,"done":true}). */
json_t *lark_button_value(const char *ref, const char *value);

/* card.action.trigger's event object: the chat, operator, card message,
 * and our value (ref, value; done for a multi-select's finish).  Strings
 * borrowed from ev; false when it is not one of ours. */
struct lark_press {
	const char *chat_id, *user, *message_id, *ref, *value;
	bool done;
};
bool lark_card_press(json_t *ev, struct lark_press *p);

#endif
