/* lark.h — Lark/Feishu's half of cc-lark: events in over the long
 * connection (lib/ws.h, frames from lark_frame.h) or HTTP callbacks
 * (lark_cb.h), actions out through the open platform's REST API
 * (lib/http.h), plugged into lib/bridge.h (reference upstream-platforms.md
 * §3).  bot.lark.domain: feishu (https://open.feishu.cn), lark
 * (https://open.larksuite.com) or a URL.
 *
 * Token: the tenant access token from app_id/app_secret, kept until a fifth
 * of its life (at most 10 minutes) is left, then fetched again before the
 * next call; a call answered 99991663/99991661 (invalid or missing token)
 * gets a new token and is made once more.  A refused app_secret ends the
 * bridge with status 5.
 *
 * Long connection: discovery (POST /callback/ws/endpoint; codes 1 and
 * 1000040343 are retried, others are fatal: status 5), the WebSocket, a
 * ping at once and every PingInterval, a pong's ClientConfig applied,
 * fragments (sum/seq) reassembled, every event acknowledged at once with
 * the frame's own ids and headers plus biz_rt, {"code":200} (a card press
 * with a toast and the updated card), events de-duplicated by event_id and
 * message_id; after a drop: a random wait below ReconnectNonce, then
 * discovery and dial every ReconnectInterval, ReconnectCount times (-1:
 * for ever).  A refused upgrade is reported with its handshake-* headers:
 * 403 and most others end the bridge with status 5, "too many connections"
 * (1000040350) with 6.
 *
 * Callback mode (bot.lark.mode: callback): lark_cb.h's listener on
 * bot.lark.bind:port, the same events, the same de-duplication.
 *
 * In: im.message.receive_v1 → `message` (apps ignored; text and post as
 * text, leading @-mentions removed; images and files fetched with the
 * resources API into the download directory, 0600, passed as `files`);
 * allowed_chats (empty: all) gates messages and presses; admin_users sets
 * `admin`.  card.action.trigger on one of our questions → `button`.
 * Events go out in the order they came even when a download is slow.
 *
 * Out: send and edit as interactive cards (use_cards, the default: edited
 * with PATCH) or posts (edited with PUT), split by serialized size
 * (lark_md.h); an edit Lark refuses because the message reached its edit
 * limit (230072) or is too old (230031) continues in a new message (the
 * old one is recalled, later edits go to the new one).  delete recalls.
 * ask: a card with a button per option (multi-select: toggles and Done);
 * a press is acknowledged with a toast and the card then shows the choice.
 * file: an image (≤ 10 MB, by extension) or a file (≤ 30 MB) upload, then
 * an image or file message, the caption as a message of its own.  Rate
 * limits: 429 waits for x-ogw-ratelimit-reset; 230020 and 11232 (chat and
 * tenant frequency) wait a second; both hold only that chat. */
#ifndef CC_LARK_H
#define CC_LARK_H

struct bridge_args;
struct config;

#define LARK_EXIT_OK		0
#define LARK_EXIT_FAIL		1
#define LARK_EXIT_CONFIG	5	/* credentials refused, bad config */
#define LARK_EXIT_TAKEN		6	/* too many connections */

#define LARK_MAX_LEN		10000	/* the hello's max_len: see lark.c */
#define LARK_MAX_IMAGE		10485760LL
#define LARK_MAX_FILE		31457280LL

struct lark_opts {
	double edit_interval;	/* the hello's (1.0) */
	double global_rate;	/* calls per second overall (40) */
	const char *port_file;	/* callback mode: write the port here */
};

/* Run the bridge on stdin/stdout until EOF on stdin (after the outbox has
 * drained) or SIGTERM/SIGINT.  Returns the exit status. */
int lark_run(const struct config *cfg, const struct lark_opts *o);

/* One-shot (REST only, `send` and `send-file` of bridge_args): Markdown
 * text or a file to a chat ("oc_..." or
 * "lark:oc_...").  0 sent, 1 refused, 2 not a chat, 5 credentials
 * refused or bad config. */
int lark_oneshot(const struct config *cfg, const struct bridge_args *a);
/* Fetch a tenant token: 0 (and a line on stdout), 5 refused, 1 unreachable. */
int lark_check(const struct config *cfg);

#endif
