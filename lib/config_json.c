/* config_json.c — the effective config as JSON, for cc-config and scripts. */
#include "config.h"
#include "util.h"

#include <jansson.h>
#include <limits.h>
#include <string.h>

static json_t *
jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
jsecret(const char *s, bool secrets)
{
	if (s == NULL)
		return json_null();
	if (secrets || str_starts(s, "file:"))
		return json_string(s);
	return json_string("***");
}

static json_t *
jlist(const struct strlist *sl)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sl->n; i++)
		json_array_append_new(a, json_string(sl->v[i]));
	return a;
}

/* Chat ids are integers in the file; print them as JSON numbers. */
static json_t *
jintlist(const struct strlist *sl)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sl->n; i++) {
		long long v;
		if (str_to_ll(sl->v[i], LLONG_MIN, LLONG_MAX, &v))
			json_array_append_new(a, json_integer(v));
		else
			json_array_append_new(a, json_string(sl->v[i]));
	}
	return a;
}

json_t *
config_peer_to_json(const struct config *c, const struct peer *p, bool secrets)
{
	json_t *o = json_object();

	json_object_set_new(o, "transport", json_string(transport_name(p->transport)));
	json_object_set_new(o, "host", jstr(p->host));
	json_object_set_new(o, "user", jstr(p->user));
	json_object_set_new(o, "port", json_integer(p->port));
	json_object_set_new(o, "ssh_key", jstr(p->ssh_key));
	json_object_set_new(o, "password", jsecret(p->password, secrets));
	json_object_set_new(o, "proxy_jump", jstr(p->proxy_jump));
	json_object_set_new(o, "proxy_command", jstr(p->proxy_command));
	json_object_set_new(o, "daemon_port", json_integer(p->daemon_port));
	json_object_set_new(o, "server_alive_interval",
	    json_integer(p->alive_interval));
	json_object_set_new(o, "server_alive_count_max",
	    json_integer(p->alive_count));
	json_object_set_new(o, "node_path", jstr(p->node_path));
	json_object_set_new(o, "project_path", jstr(p->project_path));
	json_object_set_new(o, "default_paths", jlist(&p->default_paths));
	json_object_set_new(o, "address", jstr(p->address));
	json_object_set_new(o, "token", jsecret(p->token, secrets));
	json_object_set_new(o, "tls_fingerprint", jstr(p->tls_fingerprint));
	if (p->insecure)
		json_object_set_new(o, "insecure", json_true());
	json_object_set_new(o, "host_key_check", json_string(host_key_check_name(p->host_key_check)));
	json_object_set_new(o, "jump_only", json_boolean(config_peer_jump_only(c, p)));
	return o;
}

json_t *
config_to_json(const struct config *c, bool secrets)
{
	json_t *o = json_object(), *peers = json_object(), *x, *bot = json_object();

	json_object_set_new(o, "path", json_string(c->path));
	json_object_set_new(o, "version", json_integer(c->version));
	for (size_t i = 0; i < c->npeers; i++)
		json_object_set_new(peers, c->peers[i].id,
		    config_peer_to_json(c, &c->peers[i], secrets));
	json_object_set_new(o, "peers", peers);
	json_object_set_new(o, "default_mode", json_string(c->default_mode));
	json_object_set_new(o, "tool_display", json_string(c->tool_display));
	json_object_set_new(o, "tool_batch_size", json_integer(c->tool_batch_size));

	x = json_object();
	json_object_set_new(x, "shared_dir", jstr(c->skills.shared_dir));
	json_object_set_new(x, "sync_on_start", json_boolean(c->skills.sync_on_start));
	json_object_set_new(o, "skills", x);

	x = json_object();
	json_object_set_new(x, "install_dir", jstr(c->daemon.install_dir));
	json_object_set_new(x, "auto_deploy", json_boolean(c->daemon.auto_deploy));
	json_object_set_new(x, "log_file", jstr(c->daemon.log_file));
	json_object_set_new(x, "binary", jstr(c->daemon.binary));
	json_object_set_new(o, "daemon", x);

	x = json_object();
	json_object_set_new(x, "max_size", json_integer(c->file_pool.max_size));
	json_object_set_new(x, "pool_dir", jstr(c->file_pool.pool_dir));
	json_object_set_new(x, "remote_dir", jstr(c->file_pool.remote_dir));
	json_object_set_new(x, "allowed_types", jlist(&c->file_pool.allowed_types));
	json_object_set_new(o, "file_pool", x);

	x = json_object();
	json_object_set_new(x, "enabled", json_boolean(c->file_forward.enabled));
	json_object_set_new(x, "default_max_size", json_integer(c->file_forward.default_max_size));
	json_object_set_new(x, "default_auto", json_boolean(c->file_forward.default_auto));
	json_object_set_new(x, "download_dir", jstr(c->file_forward.download_dir));
	json_t *rules = json_array();
	for (size_t i = 0; i < c->file_forward.nrules; i++) {
		json_t *r = json_object();
		json_object_set_new(r, "pattern", json_string(c->file_forward.rules[i].pattern));
		json_object_set_new(r, "max_size", json_integer(c->file_forward.rules[i].max_size));
		json_object_set_new(r, "auto", json_boolean(c->file_forward.rules[i].autosend));
		json_array_append_new(rules, r);
	}
	json_object_set_new(x, "rules", rules);
	json_object_set_new(o, "file_forward", x);

	if (c->discord.present) {
		x = json_object();
		json_object_set_new(x, "token", jsecret(c->discord.token, secrets));
		json_object_set_new(x, "allowed_channels", jintlist(&c->discord.allowed_channels));
		json_object_set_new(x, "command_prefix", jstr(c->discord.command_prefix));
		json_object_set_new(x, "admin_users", jintlist(&c->discord.admin_users));
		json_object_set_new(x, "api_url", jstr(c->discord.api_url));
		json_object_set_new(x, "gateway_url", jstr(c->discord.gateway_url));
		json_object_set_new(x, "guild_ids", jintlist(&c->discord.guild_ids));
		json_object_set_new(bot, "discord", x);
	}
	if (c->telegram.present) {
		x = json_object();
		json_object_set_new(x, "token", jsecret(c->telegram.token, secrets));
		json_object_set_new(x, "allowed_users", jintlist(&c->telegram.allowed_users));
		json_object_set_new(x, "admin_users", jintlist(&c->telegram.admin_users));
		json_object_set_new(x, "allowed_chats", jintlist(&c->telegram.allowed_chats));
		json_object_set_new(x, "api_url", jstr(c->telegram.api_url));
		json_object_set_new(bot, "telegram", x);
	}
	if (c->lark.present) {
		x = json_object();
		json_object_set_new(x, "app_id", jstr(c->lark.app_id));
		json_object_set_new(x, "app_secret", jsecret(c->lark.app_secret, secrets));
		json_object_set_new(x, "allowed_chats", jlist(&c->lark.allowed_chats));
		json_object_set_new(x, "admin_users", jlist(&c->lark.admin_users));
		json_object_set_new(x, "use_cards", json_boolean(c->lark.use_cards));
		json_object_set_new(x, "domain", jstr(c->lark.domain));
		json_object_set_new(x, "mode", jstr(c->lark.mode));
		json_object_set_new(x, "port", json_integer(c->lark.port));
		json_object_set_new(x, "bind", jstr(c->lark.bind));
		json_object_set_new(x, "encrypt_key", jsecret(c->lark.encrypt_key, secrets));
		json_object_set_new(x, "verification_token",
		    jsecret(c->lark.verification_token, secrets));
		json_object_set_new(x, "download_dir", jstr(c->lark.download_dir ?
		    c->lark.download_dir : c->file_forward.download_dir));
		json_object_set_new(bot, "lark", x);
	}
	x = json_object();
	json_object_set_new(x, "enabled", json_boolean(c->webui.enabled));
	json_object_set_new(x, "port", json_integer(c->webui.port));
	json_object_set_new(x, "host", jstr(c->webui.host));
	json_object_set_new(bot, "webui", x);
	json_object_set_new(o, "bot", bot);
	return o;
}
