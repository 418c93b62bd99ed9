/* config.h — the codecast YAML config (~/.codecast/config.yaml) as plain C
 * structs.  Reads upstream files unchanged: `peers:` (v2, with both the
 * ssh_host/ssh_user/ssh_port and host/user/port spellings) and `machines:`
 * (v1, translated the way upstream's migrate_v1_to_v2 does).  ${VAR} is
 * expanded in every string value (unset stays literal); `~` in local paths.
 * See codecast.yaml(5). */
#ifndef CC_CONFIG_H
#define CC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum transport { TRANSPORT_SSH, TRANSPORT_HTTP, TRANSPORT_LOCAL };
enum host_key_check { HKC_ACCEPT_NEW, HKC_STRICT, HKC_OFF };

struct strlist {
	char **v;
	size_t n;
};
/* Append s (taken over, malloc'd) to sl. */
void strlist_add(struct strlist *sl, char *s);
/* Free every string and the array; sl is empty afterwards. */
void strlist_free(struct strlist *sl);
/* Whether s is in sl (NULL: an empty list). */
bool strlist_has(const struct strlist *sl, const char *s);

struct peer {
	char *id;
	enum transport transport;
	char *host;		/* ssh_host (or host); NULL when unset */
	char *user;		/* ssh_user (or user); NULL: the local user */
	int port;		/* ssh_port (or port); 22 */
	char *ssh_key;		/* ~-expanded; NULL when unset */
	char *password;		/* literal or "file:PATH"; see config_peer_password */
	char *proxy_jump;	/* another peer's id, or NULL */
	char *proxy_command;
	int daemon_port;	/* 9100 */
	int alive_interval;	/* server_alive_interval, s: 30 (0: off) */
	int alive_count;	/* server_alive_count_max: 3 */
	char *node_path;
	char *project_path;	/* "~/Projects"; expanded by the remote shell */
	struct strlist default_paths;
	char *address;		/* http transport: host:port or URL */
	char *token;		/* http transport bearer token */
	char *tls_fingerprint;	/* "sha256:HEX" */
	bool insecure;		/* the token may go over http:// to a host
				 * that is not loopback (default false) */
	enum host_key_check host_key_check;	/* accept-new */
	int line, col;		/* where the peer is defined (1-based) */
};

struct forward_rule {
	char *pattern;		/* "*" */
	long long max_size;	/* 5242880 */
	bool autosend;		/* `auto`, false */
};

struct config {
	char *path;			/* the file it was loaded from */
	int version;			/* 2 (peers:) or 1 (machines:) */
	struct peer *peers;
	size_t npeers;
	char *default_mode;		/* auto */
	char *tool_display;		/* live: how new sessions show replies */
	char *update_command;		/* /update runs it (sh -c); NULL: none */
	int tool_batch_size;		/* 15 */
	struct {
		char *shared_dir;	/* ./skills */
		bool sync_on_start;	/* true */
	} skills;
	struct {
		char *install_dir;	/* ~/.codecast/daemon (remote path) */
		bool auto_deploy;	/* true */
		char *log_file;		/* ~/.codecast/daemon.log (remote path) */
		char *binary;		/* local daemon binary to deploy; NULL: ours */
	} daemon;
	struct {
		long long max_size;	/* 1073741824 */
		char *pool_dir;		/* ~/.codecast/file-pool, expanded */
		char *remote_dir;	/* ~/.codecast/files */
		struct strlist allowed_types;
	} file_pool;
	struct {
		bool enabled;		/* false */
		long long default_max_size;	/* 5242880 */
		bool default_auto;	/* false */
		char *download_dir;	/* ~/.codecast/downloads, expanded */
		struct forward_rule *rules;
		size_t nrules;
	} file_forward;
	struct {
		bool present;
		char *token;
		struct strlist allowed_channels;	/* integers as text */
		char *command_prefix;	/* "/" */
		struct strlist admin_users;
		char *api_url;		/* https://discord.com/api/v10 */
		char *gateway_url;	/* NULL: ask GET /gateway/bot */
		struct strlist guild_ids;	/* slash commands per guild (integers) */
	} discord;
	struct {
		bool present;
		char *token;
		struct strlist allowed_users, admin_users, allowed_chats;
		char *api_url;		/* https://api.telegram.org */
	} telegram;
	struct {
		bool present;
		char *app_id, *app_secret;
		struct strlist allowed_chats, admin_users;
		bool use_cards;		/* true */
		char *domain;		/* feishu, lark, or a URL: feishu */
		char *mode;		/* websocket (long connection) or callback */
		int port;		/* callback: 31950 */
		char *bind;		/* callback: 127.0.0.1 */
		char *encrypt_key;	/* callback: NULL (plain bodies) */
		char *verification_token;	/* callback: NULL (not checked) */
		char *download_dir;	/* NULL: file_forward.download_dir */
	} lark;
	struct {
		bool enabled;		/* false */
		int port;		/* 31949 */
		char *host;		/* 127.0.0.1 (host:, or bind:) */
	} webui;
};

/* Which file: explicit (-c) if non-NULL, else $CODECAST_CONFIG, else
 * ~/.codecast/config.yaml when it exists, else ./config.yaml.  malloc'd. */
char *config_path(const char *explicit_path);

/* Load and validate.  On failure returns NULL and sets *errmsg to a malloc'd
 * one-line message "FILE[:LINE:COL]: what" (no program name, no newline). */
struct config *config_load(const char *path, char **errmsg);
void config_free(struct config *c);

const struct peer *config_peer(const struct config *c, const char *id);
/* True when the peer is only some other peer's jump host (upstream rule:
 * named as a proxy_jump and has no default_paths). */
bool config_peer_jump_only(const struct config *c, const struct peer *p);

/* The password to use: the literal, or the trimmed contents of file:PATH
 * (~ expanded).  NULL when none; on a read failure NULL and *errmsg set. */
char *config_peer_password(const struct peer *p, char **errmsg);

/* The effective config as a JSON object (jansson), peers normalised and
 * defaults filled in.  Secrets (passwords, tokens, app secrets) are "***"
 * unless secrets is true; a `file:PATH` password prints as such. */
struct json_t;
struct json_t *config_to_json(const struct config *c, bool secrets);
struct json_t *config_peer_to_json(const struct config *c, const struct peer *p,
    bool secrets);

/* An http peer's base URL: its address, with https:// put in front unless
 * it already names a scheme (upstream doubled it).  malloc'd; NULL when the
 * peer has no address. */
char *config_peer_url(const struct peer *p);

const char *transport_name(enum transport t);
const char *host_key_check_name(enum host_key_check h);

#endif
