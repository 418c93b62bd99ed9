/* tgbot.h — Telegram's half of cc-telegram: the Bot API spoken over
 * lib/http.h, plugged into lib/bridge.h.
 *
 * In: getUpdates long poll (its own connection); messages, captions,
 * photos and documents (downloaded with getFile into the download
 * directory, 0600, passed as `files`), commands (`/cmd@Bot` stripped when
 * addressed to this bot, Telegram's underscore names mapped back to the
 * engine's: add_machine → add-machine), callback queries (answered at once)
 * → `button` events.  allowed_users (empty: everyone) gates messages and
 * buttons; allowed_chats (empty: every chat) gates group chats (negative
 * ids), buttons included; admin_users sets `admin`.  A refused sender gets
 * nothing through and stderr says who it was.  A forum topic is channel
 * telegram:CHAT:THREAD and everything for it goes back into the topic.
 * The next update offset is saved (temporary file, rename) in
 * ~/.codecast/telegram-BOTID.offset once a batch's events have been
 * written to the engine, so a restart neither replays nor loses one.
 *
 * Out: the bridge's calls as sendMessage/editMessageText/deleteMessage
 * (parse_mode HTML from md_telegram.h; a chunk Telegram still cannot parse
 * is sent again as plain text), sendChatAction, sendPhoto/sendDocument
 * (multipart, caption within 1024), inline keyboards for `ask` (labels cut
 * to fit, callback_data "o:N"/"done" always within 64 bytes; multi-select
 * keeps the ✓ set here and sends one button event with the values joined
 * by ","; the keyboard is replaced by the answer once answered),
 * setMyCommands.  429 → the bridge waits retry_after for that chat;
 * "message is not modified" is success; 5xx and network errors are
 * retried.
 *
 * Fatal: 401 (a wrong token) → exit status 5, 409 (another poller or a
 * webhook) → 6, both with a one-line reason. */
#ifndef CC_TGBOT_H
#define CC_TGBOT_H

#include <stdbool.h>

struct bridge_args;
struct config;
struct event_base;

#define TG_EXIT_OK	0
#define TG_EXIT_FAIL	1
#define TG_EXIT_TOKEN	5	/* 401: bad token; or a bad config */
#define TG_EXIT_CONFLICT 6	/* 409 */

struct tgbot_opts {
	int poll_timeout;	/* getUpdates timeout, s (25) */
	double chat_interval;	/* s between calls to one chat (1.0) */
	double global_rate;	/* calls per second overall (30) */
	double typing_interval;	/* s (4) */
};

/* Run the bridge on stdin/stdout until EOF on stdin (after the outbox has
 * drained) or SIGTERM/SIGINT.  Returns the exit status. */
int tgbot_run(const struct config *cfg, const struct tgbot_opts *o);

/* One-shot (`send` and `send-file` of bridge_args): text (Markdown) or a
 * file to the chat ("CHAT", "CHAT:THREAD"
 * or "telegram:…") and return the exit status (0 sent, 1 refused,
 * 5 bad token or config). */
int tgbot_oneshot(const struct config *cfg, const struct bridge_args *a);

/* One getMe call, no retries: prints "@username" and returns 0 when the
 * token is accepted, 5 when it is refused (or the config has none), 1
 * when the Bot API cannot be reached. */
int tgbot_check(const struct config *cfg);

#endif
