/* discord.h — Discord's half of cc-discord: the gateway (lib/ws.h) for what
 * people do, the REST API (lib/http.h, buckets from lib/discord_rl.h) for
 * what the engine shows, plugged into lib/bridge.h.
 *
 * Gateway: GET /gateway/bot (or bot.discord.gateway_url), identify with
 * GUILDS, GUILD_MESSAGES, DIRECT_MESSAGES and MESSAGE_CONTENT, heartbeats
 * at the server's interval (the first one jittered); a heartbeat not
 * ACKed by the next one marks the connection dead: it is closed (4000, so
 * the session stays) and RESUMEd at resume_gateway_url with the session id
 * and the last sequence, as after any drop and op 7; op 9 resumes or
 * identifies afresh as its d says.  Identifies are at least 5 s apart and
 * wait for session_start_limit.  Close codes 4004 (token) and 4010–4014
 * (shards, version, intents) end the bridge with status 5 and a line
 * naming the fix; reconnects back off (1 s doubling to 60 s) while
 * connects fail.
 *
 * In: MESSAGE_CREATE → `message` (bots and ourselves ignored; a
 * command_prefix other than "/" becomes "/"; attachments downloaded into
 * file_forward.download_dir, 0600, passed as `files`); INTERACTION_CREATE:
 * slash commands are deferred at once (type 5) and become `/name args`
 * messages, the engine's next send to that channel completing the
 * deferred response (within its 15 minutes; else a plain message);
 * autocomplete → `complete`, answered by the `choices` action; button and
 * select clicks → `button` (the message keeps its text plus the answer,
 * its components go).  allowed_channels (empty: every channel; a thread
 * by its parent, learnt from GUILD_CREATE, thread events or GET
 * /channels/ID) gates messages, commands, autocomplete and clicks alike;
 * DMs too.  admin_users sets `admin`.  Events go out in the order they
 * arrived even when a download or a parent lookup is slow.
 *
 * Out: send/edit/delete as channel messages (content within 2000,
 * mentions disabled), typing every 8 s, `ask` as buttons or a select menu,
 * `file` as a multipart upload (over 10 MiB: failed without a call),
 * `commands` as a bulk overwrite, globally or per bot.discord.guild_ids.
 * Every call waits for its bucket (hold()), so the limits learnt are not
 * hit; a 429 still honoured per route or globally. */
#ifndef CC_DISCORD_H
#define CC_DISCORD_H

struct bridge_args;
struct config;

#define DC_EXIT_OK	0
#define DC_EXIT_FAIL	1
#define DC_EXIT_CONFIG	5	/* bad token, intents refused, bad config */

struct discord_opts {
	double typing_interval;		/* s (8) */
	double global_rate;		/* calls per second overall (50) */
	double edit_interval;		/* the hello's (1.0) */
};

/* Run the bridge on stdin/stdout until EOF on stdin (after the outbox has
 * drained) or SIGTERM/SIGINT.  Returns the exit status. */
int discord_run(const struct config *cfg, const struct discord_opts *o);

/* One-shot (REST only, `send` and `send-file` of bridge_args): text
 * (Markdown) or a file to a channel ("ID" or "discord:ID").  0 sent, 1 refused, 2 not a channel, 5 bad token or
 * config. */
int discord_oneshot(const struct config *cfg, const struct bridge_args *a);

#endif
