/* config.c — load codecast.yaml(5) with libyaml's document API into the
 * structs of config.h, with upstream's defaults, and validate it eagerly so
 * that every bad input is one line naming file:line:col. */
#include "config.h"
#include "paths.h"
#include "proxycmd.h"
#include "transfer.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* Loader state: the document and the first error. */
struct ld {
	const char *file;
	yaml_document_t *doc;
	char *err;
};

static int
fail_at(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail_at(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (l->err)
		return -1;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (n)
		l->err = xasprintf("%s:%zu:%zu: %s", l->file,
		    n->start_mark.line + 1, n->start_mark.column + 1, msg);
	else
		l->err = xasprintf("%s: %s", l->file, msg);
	free(msg);
	return -1;
}

/* ---- scalars ---------------------------------------------------------- */

static bool
is_null(const yaml_node_t *n)
{
	if (n == NULL)
		return true;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static const char *
node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

/* ${NAME} → its value when set; an unset variable stays literal. */
static char *
expand_env(const char *s)
{
	struct buf b = {0};
	const char *p = s;

	while (*p) {
		if (p[0] == '$' && p[1] == '{') {
			const char *q = p + 2;
			while (isalnum((unsigned char)*q) || *q == '_')
				q++;
			if (*q == '}' && q > p + 2) {
				char *name = xstrndup(p + 2, (size_t)(q - p - 2));
				const char *v = getenv(name);
				free(name);
				if (v) {
					buf_puts(&b, v);
					p = q + 1;
					continue;
				}
			}
		}
		buf_putc(&b, *p++);
	}
	return buf_steal(&b);
}

/* Mapping lookup: the value node of key, or NULL. */
static yaml_node_t *
map_get(struct ld *l, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pr;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, pr->key);
		if (k && k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
			return yaml_document_get_node(l->doc, pr->value);
	}
	return NULL;
}

/* A string value (env-expanded); a null/absent value leaves *out alone. */
static int
get_str(struct ld *l, yaml_node_t *map, const char *key, const char *path, char **out)
{
	yaml_node_t *n = map_get(l, map, key);

	if (is_null(n))
		return 0;
	if (n->type != YAML_SCALAR_NODE)
		return fail_at(l, n, "%s.%s: expected a string, got %s", path, key, node_kind(n));
	free(*out);
	*out = expand_env(scalar(n));
	return 0;
}

/* Like get_str, then ~ expansion (local paths only). */
static int
get_path(struct ld *l, yaml_node_t *map, const char *key, const char *path, char **out)
{
	char *s = NULL;

	if (get_str(l, map, key, path, &s) != 0)
		return -1;
	if (s) {
		free(*out);
		*out = path_expand_tilde(s);
		free(s);
	}
	return 0;
}

static int
get_ll(struct ld *l, yaml_node_t *map, const char *key, const char *path,
    long long min, long long max, long long *out)
{
	yaml_node_t *n = map_get(l, map, key);
	long long v;
	char *s;

	if (is_null(n))
		return 0;
	if (n->type != YAML_SCALAR_NODE)
		return fail_at(l, n, "%s.%s: expected an integer, got %s", path, key, node_kind(n));
	s = expand_env(scalar(n));
	if (!str_to_ll(s, LLONG_MIN, LLONG_MAX, &v)) {
		fail_at(l, n, "%s.%s: expected an integer, got \"%s\"", path, key, s);
		free(s);
		return -1;
	}
	free(s);
	if (v < min || v > max)
		return fail_at(l, n, "%s.%s: %lld is out of range (%lld to %lld)",
		    path, key, v, min, max);
	*out = v;
	return 0;
}

static int
get_int(struct ld *l, yaml_node_t *map, const char *key, const char *path,
    long long min, long long max, int *out)
{
	long long v = *out;

	if (get_ll(l, map, key, path, min, max, &v) != 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int
get_bool(struct ld *l, yaml_node_t *map, const char *key, const char *path, bool *out)
{
	yaml_node_t *n = map_get(l, map, key);
	const char *v;

	if (is_null(n))
		return 0;
	if (n->type != YAML_SCALAR_NODE)
		return fail_at(l, n, "%s.%s: expected true or false, got %s", path, key, node_kind(n));
	v = scalar(n);
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off"))
		*out = false;
	else
		return fail_at(l, n, "%s.%s: expected true or false, got \"%s\"", path, key, v);
	return 0;
}

void
strlist_add(struct strlist *sl, char *s)
{
	sl->v = xreallocarray(sl->v, sl->n + 1, sizeof *sl->v);
	sl->v[sl->n++] = s;
}

bool
strlist_has(const struct strlist *sl, const char *s)
{
	for (size_t i = 0; sl && i < sl->n; i++)
		if (strcmp(sl->v[i], s) == 0)
			return true;
	return false;
}

void
strlist_free(struct strlist *sl)
{
	for (size_t i = 0; i < sl->n; i++)
		free(sl->v[i]);
	free(sl->v);
	sl->v = NULL;
	sl->n = 0;
}

/* A list of scalars; integers_only checks each entry is an integer (chat ids). */
static int
get_list(struct ld *l, yaml_node_t *map, const char *key, const char *path,
    bool integers_only, struct strlist *out)
{
	yaml_node_t *n = map_get(l, map, key);
	yaml_node_item_t *it;
	size_t i = 0;

	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(l, n, "%s.%s: expected a list, got %s", path, key, node_kind(n));
	strlist_free(out);
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
		yaml_node_t *e = yaml_document_get_node(l->doc, *it);
		long long dummy;
		if (e == NULL || e->type != YAML_SCALAR_NODE)
			return fail_at(l, e ? e : n, "%s.%s[%zu]: expected a %s", path, key, i,
			    integers_only ? "integer" : "string");
		char *s = expand_env(scalar(e));
		if (integers_only && !str_to_ll(s, LLONG_MIN, LLONG_MAX, &dummy)) {
			fail_at(l, e, "%s.%s[%zu]: expected an integer, got \"%s\"", path, key, i, s);
			free(s);
			return -1;
		}
		strlist_add(out, s);
	}
	return 0;
}

/* A section: a mapping, or absent/null/empty (→ NULL, defaults kept). */
static int
get_section(struct ld *l, yaml_node_t *map, const char *key, const char *path,
    yaml_node_t **out)
{
	yaml_node_t *n = map_get(l, map, key);

	*out = NULL;
	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(l, n, "%s%s%s: expected a mapping, got %s",
		    path, *path ? "." : "", key, node_kind(n));
	*out = n;
	return 0;
}

/* ---- peers -------------------------------------------------------------- */

static bool
is_local_host(const char *h)
{
	return h && (!strcasecmp(h, "localhost") || !strcmp(h, "127.0.0.1") ||
	    !strcmp(h, "::1"));
}

static void
peer_defaults(struct peer *p, const char *id)
{
	memset(p, 0, sizeof *p);
	p->id = xstrdup(id);
	p->transport = TRANSPORT_SSH;
	p->port = 22;
	p->daemon_port = 9100;
	p->alive_interval = 30;
	p->alive_count = 3;
	p->project_path = xstrdup("~/Projects");
	p->host_key_check = HKC_ACCEPT_NEW;
}

static void
peer_free(struct peer *p)
{
	free(p->id);
	free(p->host);
	free(p->user);
	free(p->ssh_key);
	free(p->password);
	free(p->proxy_jump);
	free(p->proxy_command);
	free(p->node_path);
	free(p->project_path);
	strlist_free(&p->default_paths);
	free(p->address);
	free(p->token);
	free(p->tls_fingerprint);
}

/* One entry of peers: or machines: (v1 when v1 is true). */
static int
parse_peer(struct ld *l, yaml_node_t *key, yaml_node_t *val, bool v1, struct peer *p)
{
	const char *id = scalar(key);
	char *path = xasprintf("%s.%s", v1 ? "machines" : "peers", id);
	char *transport = NULL, *hkc = NULL, *key_raw = NULL;
	yaml_node_t *tn = NULL, *hn = NULL;
	bool localhost = false, have_localhost = false;
	int rc = -1;

	peer_defaults(p, id);
	p->line = (int)key->start_mark.line + 1;
	p->col = (int)key->start_mark.column + 1;
	if (is_null(val)) {
		val = NULL;		/* a peer with every default */
	} else if (val->type != YAML_MAPPING_NODE) {
		fail_at(l, val, "%s: expected a mapping, got %s", path, node_kind(val));
		goto out;
	}

	/* v2 spellings first; the v1 ones (host/user/port) are fallbacks. */
	if (get_str(l, val, "host", path, &p->host) || get_str(l, val, "ssh_host", path, &p->host) ||
	    get_str(l, val, "user", path, &p->user) || get_str(l, val, "ssh_user", path, &p->user) ||
	    get_int(l, val, "port", path, 1, 65535, &p->port) ||
	    get_int(l, val, "ssh_port", path, 1, 65535, &p->port) ||
	    get_str(l, val, "ssh_key", path, &key_raw) ||
	    get_str(l, val, "password", path, &p->password) ||
	    get_str(l, val, "proxy_jump", path, &p->proxy_jump) ||
	    get_str(l, val, "proxy_command", path, &p->proxy_command) ||
	    get_int(l, val, "daemon_port", path, 1, 65535, &p->daemon_port) ||
	    get_int(l, val, "server_alive_interval", path, 0, 3600,
	    &p->alive_interval) ||
	    get_int(l, val, "server_alive_count_max", path, 1, 100,
	    &p->alive_count) ||
	    get_str(l, val, "node_path", path, &p->node_path) ||
	    get_str(l, val, "project_path", path, &p->project_path) ||
	    get_list(l, val, "default_paths", path, false, &p->default_paths) ||
	    get_str(l, val, "url", path, &p->address) ||
	    get_str(l, val, "address", path, &p->address) ||
	    get_str(l, val, "token", path, &p->token) ||
	    get_str(l, val, "tls_fingerprint", path, &p->tls_fingerprint) ||
	    get_bool(l, val, "insecure", path, &p->insecure) ||
	    get_str(l, val, "type", path, &transport) ||
	    get_str(l, val, "transport", path, &transport) ||
	    get_str(l, val, "host_key_check", path, &hkc))
		goto out;
	if (map_get(l, val, "localhost") && !is_null(map_get(l, val, "localhost"))) {
		if (get_bool(l, val, "localhost", path, &localhost) != 0)
			goto out;
		have_localhost = true;
	}
	tn = map_get(l, val, "transport");
	if (is_null(tn))
		tn = map_get(l, val, "type");

	if (transport) {
		if (!strcmp(transport, "ssh"))
			p->transport = TRANSPORT_SSH;
		else if (!strcmp(transport, "http") || !strcmp(transport, "https"))
			p->transport = TRANSPORT_HTTP;
		else if (!strcmp(transport, "local"))
			p->transport = TRANSPORT_LOCAL;
		else {
			fail_at(l, tn, "%s.transport: unknown transport \"%s\" (expected ssh, http or local)",
			    path, transport);
			goto out;
		}
	} else if ((have_localhost && localhost) || (v1 && is_local_host(p->host))) {
		/* upstream's migrate_v1_to_v2, and the v1 spelling inside peers: */
		p->transport = TRANSPORT_LOCAL;
	}
	if (p->host == NULL && p->transport == TRANSPORT_SSH)
		p->host = xstrdup(id);	/* like ssh(1): the name is the host */

	if (hkc) {
		hn = map_get(l, val, "host_key_check");
		if (!strcmp(hkc, "accept-new"))
			p->host_key_check = HKC_ACCEPT_NEW;
		else if (!strcmp(hkc, "strict") || !strcmp(hkc, "yes"))
			p->host_key_check = HKC_STRICT;
		else if (!strcmp(hkc, "off") || !strcmp(hkc, "no"))
			p->host_key_check = HKC_OFF;
		else {
			fail_at(l, hn, "%s.host_key_check: expected accept-new, strict or off, got \"%s\"",
			    path, hkc);
			goto out;
		}
	}
	if (key_raw) {
		p->ssh_key = p->transport == TRANSPORT_SSH || !v1 ?
		    path_expand_tilde(key_raw) : xstrdup(key_raw);
	}
	if (p->transport == TRANSPORT_HTTP && (p->address == NULL || *p->address == '\0')) {
		fail_at(l, key, "%s: transport http needs an address (host:port)", path);
		goto out;
	}
	if (p->proxy_jump && *p->proxy_jump == '\0') {
		free(p->proxy_jump);
		p->proxy_jump = NULL;
	}
	if (p->proxy_command && *p->proxy_command == '\0') {
		free(p->proxy_command);
		p->proxy_command = NULL;
	}
	if (p->proxy_command) {
		yaml_node_t *pc = map_get(l, val, "proxy_command");
		char *why = proxycmd_check(p->proxy_command);

		if (why) {
			fail_at(l, pc, "%s.proxy_command: %s", path, why);
			free(why);
			goto out;
		}
		if (p->proxy_jump) {
			fail_at(l, pc, "%s: proxy_jump and proxy_command exclude "
			    "each other", path);
			goto out;
		}
	}
	rc = 0;
out:
	free(transport);
	free(hkc);
	free(key_raw);
	free(path);
	return rc;
}

static int
parse_peers(struct ld *l, yaml_node_t *root, struct config *c)
{
	yaml_node_t *peers = map_get(l, root, "peers");
	yaml_node_t *machines = map_get(l, root, "machines");
	yaml_node_t *use = NULL;
	yaml_node_pair_t *pr;
	bool v1 = false;

	if (!is_null(peers) && peers->type != YAML_MAPPING_NODE)
		return fail_at(l, peers, "peers: expected a mapping of peer names, got %s",
		    node_kind(peers));
	if (!is_null(machines) && machines->type != YAML_MAPPING_NODE)
		return fail_at(l, machines, "machines: expected a mapping of machine names, got %s",
		    node_kind(machines));
	if (!is_null(peers) && peers->data.mapping.pairs.top > peers->data.mapping.pairs.start)
		use = peers;
	else if (!is_null(machines) &&
	    machines->data.mapping.pairs.top > machines->data.mapping.pairs.start) {
		use = machines;
		v1 = true;
	}
	c->version = v1 ? 1 : 2;
	if (use == NULL)
		return 0;
	size_t n = (size_t)(use->data.mapping.pairs.top - use->data.mapping.pairs.start);
	c->peers = xcalloc(n, sizeof *c->peers);
	for (pr = use->data.mapping.pairs.start; pr < use->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, pr->value);
		if (k == NULL || k->type != YAML_SCALAR_NODE || is_null(k))
			return fail_at(l, k, "%s: a peer name must be a string", v1 ? "machines" : "peers");
		for (size_t i = 0; i < c->npeers; i++)
			if (!strcmp(c->peers[i].id, scalar(k)))
				return fail_at(l, k, "%s.%s: defined twice", v1 ? "machines" : "peers",
				    scalar(k));
		if (parse_peer(l, k, v, v1, &c->peers[c->npeers]) != 0) {
			peer_free(&c->peers[c->npeers]);
			return -1;
		}
		c->npeers++;
	}
	return 0;
}

/* Every proxy_jump names an ssh peer, and no chain comes back on itself. */
static int
check_jumps(struct ld *l, yaml_node_t *root, struct config *c)
{
	yaml_node_t *sect = map_get(l, root, c->version == 1 ? "machines" : "peers");
	const char *sname = c->version == 1 ? "machines" : "peers";

	for (size_t i = 0; i < c->npeers; i++) {
		struct peer *p = &c->peers[i];
		if (p->proxy_jump == NULL)
			continue;
		yaml_node_t *pn = map_get(l, map_get(l, sect, p->id), "proxy_jump");
		const struct peer *j = config_peer(c, p->proxy_jump);
		if (j == NULL)
			return fail_at(l, pn, "%s.%s.proxy_jump: no peer named \"%s\"", sname, p->id,
			    p->proxy_jump);
		if (j->transport != TRANSPORT_SSH)
			return fail_at(l, pn, "%s.%s.proxy_jump: \"%s\" is not an ssh peer", sname,
			    p->id, p->proxy_jump);
		/* Walk the chain; more hops than peers means a cycle. */
		struct buf chain = {0};
		const struct peer *q = p;
		size_t hops = 0;
		buf_puts(&chain, p->id);
		while (q->proxy_jump) {
			q = config_peer(c, q->proxy_jump);
			if (q == NULL)
				break;		/* reported when its own turn comes */
			buf_printf(&chain, " -> %s", q->id);
			if (q == p || ++hops > c->npeers) {
				fail_at(l, pn, "%s.%s.proxy_jump: jump cycle %s", sname, p->id, chain.s);
				buf_free(&chain);
				return -1;
			}
		}
		buf_free(&chain);
	}
	return 0;
}

/* ---- the other sections -------------------------------------------------- */

static void
config_defaults(struct config *c)
{
	static const char *types[] = { "text/plain", "text/markdown", "application/pdf",
	    "image/*", "video/*", "audio/*" };

	c->version = 2;
	c->default_mode = xstrdup("auto");
	c->tool_display = xstrdup("live");
	c->tool_batch_size = 15;
	c->skills.shared_dir = xstrdup("./skills");
	c->skills.sync_on_start = true;
	c->daemon.install_dir = xstrdup("~/.codecast/daemon");
	c->daemon.auto_deploy = true;
	c->daemon.log_file = xstrdup("~/.codecast/daemon.log");
	c->file_pool.max_size = 1073741824LL;
	c->file_pool.pool_dir = path_expand_tilde("~/.codecast/file-pool");
	c->file_pool.remote_dir = xstrdup(TRANSFER_POOL_DEFAULT);
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		strlist_add(&c->file_pool.allowed_types, xstrdup(types[i]));
	c->file_forward.default_max_size = 5242880;
	c->file_forward.download_dir = path_expand_tilde("~/.codecast/downloads");
	c->discord.command_prefix = xstrdup("/");
	c->discord.api_url = xstrdup("https://discord.com/api/v10");
	c->telegram.api_url = xstrdup("https://api.telegram.org");
	c->lark.use_cards = true;
	c->lark.domain = xstrdup("feishu");
	c->lark.mode = xstrdup("websocket");
	c->lark.port = 31950;
	c->lark.bind = xstrdup("127.0.0.1");
	/* cc-web's port; upstream's dataclass said 8080, its CLI 31949. */
	c->webui.port = 31949;
	c->webui.host = xstrdup("127.0.0.1");
}

static int
parse_rules(struct ld *l, yaml_node_t *ff, struct config *c)
{
	yaml_node_t *n = map_get(l, ff, "rules");
	yaml_node_item_t *it;
	size_t i = 0;

	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(l, n, "file_forward.rules: expected a list, got %s", node_kind(n));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
		yaml_node_t *e = yaml_document_get_node(l->doc, *it);
		char *path = xasprintf("file_forward.rules[%zu]", i);
		struct forward_rule r = { NULL, c->file_forward.default_max_size,
		    c->file_forward.default_auto };
		int rc = 0;
		if (e == NULL || e->type != YAML_MAPPING_NODE)
			rc = fail_at(l, e ? e : n, "%s: expected a mapping", path);
		else
			rc = get_str(l, e, "pattern", path, &r.pattern) ||
			    get_ll(l, e, "max_size", path, 0, LLONG_MAX, &r.max_size) ||
			    get_bool(l, e, "auto", path, &r.autosend) ? -1 : 0;
		free(path);
		if (rc) {
			free(r.pattern);
			return -1;
		}
		if (r.pattern == NULL)
			r.pattern = xstrdup("*");
		c->file_forward.rules = xreallocarray(c->file_forward.rules,
		    c->file_forward.nrules + 1, sizeof r);
		c->file_forward.rules[c->file_forward.nrules++] = r;
	}
	return 0;
}

static int
parse_sections(struct ld *l, yaml_node_t *root, struct config *c)
{
	yaml_node_t *s, *bot, *b, *dm;

	if (get_str(l, root, "default_mode", "", &c->default_mode) ||
	    get_str(l, root, "tool_display", "", &c->tool_display) ||
	    get_str(l, root, "update_command", "", &c->update_command) ||
	    get_int(l, root, "tool_batch_size", "", 1, 1000000, &c->tool_batch_size))
		return -1;
	dm = map_get(l, root, "default_mode");
	if (strcmp(c->default_mode, "auto") && strcmp(c->default_mode, "code") &&
	    strcmp(c->default_mode, "plan") && strcmp(c->default_mode, "ask"))
		return fail_at(l, dm, "default_mode: expected auto, code, plan or ask, got \"%s\"",
		    c->default_mode);
	if (strcmp(c->tool_display, "live") && strcmp(c->tool_display, "buffer") &&
	    strcmp(c->tool_display, "timer") && strcmp(c->tool_display, "append") &&
	    strcmp(c->tool_display, "batch"))
		return fail_at(l, map_get(l, root, "tool_display"), "tool_display: "
		    "expected live, buffer, timer, append or batch, got \"%s\"",
		    c->tool_display);

	if (get_section(l, root, "skills", "", &s) ||
	    get_path(l, s, "shared_dir", "skills", &c->skills.shared_dir) ||
	    get_bool(l, s, "sync_on_start", "skills", &c->skills.sync_on_start))
		return -1;
	if (get_section(l, root, "daemon", "", &s) ||
	    get_str(l, s, "install_dir", "daemon", &c->daemon.install_dir) ||
	    get_bool(l, s, "auto_deploy", "daemon", &c->daemon.auto_deploy) ||
	    get_str(l, s, "log_file", "daemon", &c->daemon.log_file) ||
	    get_path(l, s, "binary", "daemon", &c->daemon.binary))
		return -1;
	if (get_section(l, root, "file_pool", "", &s) ||
	    get_ll(l, s, "max_size", "file_pool", 0, LLONG_MAX, &c->file_pool.max_size) ||
	    get_path(l, s, "pool_dir", "file_pool", &c->file_pool.pool_dir) ||
	    get_str(l, s, "remote_dir", "file_pool", &c->file_pool.remote_dir) ||
	    get_list(l, s, "allowed_types", "file_pool", false, &c->file_pool.allowed_types))
		return -1;
	if (get_section(l, root, "file_forward", "", &s) ||
	    get_bool(l, s, "enabled", "file_forward", &c->file_forward.enabled) ||
	    get_ll(l, s, "default_max_size", "file_forward", 0, LLONG_MAX,
	    &c->file_forward.default_max_size) ||
	    get_bool(l, s, "default_auto", "file_forward", &c->file_forward.default_auto) ||
	    get_path(l, s, "download_dir", "file_forward", &c->file_forward.download_dir) ||
	    parse_rules(l, s, c))
		return -1;

	if (get_section(l, root, "bot", "", &bot))
		return -1;
	if (get_section(l, bot, "discord", "bot", &b))
		return -1;
	if (b) {
		c->discord.present = true;
		if (get_str(l, b, "token", "bot.discord", &c->discord.token) ||
		    get_list(l, b, "allowed_channels", "bot.discord", true, &c->discord.allowed_channels) ||
		    get_str(l, b, "command_prefix", "bot.discord", &c->discord.command_prefix) ||
		    get_list(l, b, "admin_users", "bot.discord", true, &c->discord.admin_users) ||
		    get_str(l, b, "api_url", "bot.discord", &c->discord.api_url) ||
		    get_str(l, b, "gateway_url", "bot.discord", &c->discord.gateway_url) ||
		    get_list(l, b, "guild_ids", "bot.discord", true, &c->discord.guild_ids))
			return -1;
	}
	if (get_section(l, bot, "telegram", "bot", &b))
		return -1;
	if (b) {
		c->telegram.present = true;
		if (get_str(l, b, "token", "bot.telegram", &c->telegram.token) ||
		    get_list(l, b, "allowed_users", "bot.telegram", true, &c->telegram.allowed_users) ||
		    get_list(l, b, "admin_users", "bot.telegram", true, &c->telegram.admin_users) ||
		    get_list(l, b, "allowed_chats", "bot.telegram", true, &c->telegram.allowed_chats) ||
		    get_str(l, b, "api_url", "bot.telegram", &c->telegram.api_url))
			return -1;
	}
	if (get_section(l, bot, "lark", "bot", &b))
		return -1;
	if (b) {
		c->lark.present = true;
		if (get_str(l, b, "app_id", "bot.lark", &c->lark.app_id) ||
		    get_str(l, b, "app_secret", "bot.lark", &c->lark.app_secret) ||
		    get_list(l, b, "allowed_chats", "bot.lark", false, &c->lark.allowed_chats) ||
		    get_list(l, b, "admin_users", "bot.lark", false, &c->lark.admin_users) ||
		    get_bool(l, b, "use_cards", "bot.lark", &c->lark.use_cards) ||
		    get_str(l, b, "domain", "bot.lark", &c->lark.domain) ||
		    get_str(l, b, "mode", "bot.lark", &c->lark.mode) ||
		    get_int(l, b, "port", "bot.lark", 0, 65535, &c->lark.port) ||
		    get_str(l, b, "bind", "bot.lark", &c->lark.bind) ||
		    get_str(l, b, "encrypt_key", "bot.lark", &c->lark.encrypt_key) ||
		    get_str(l, b, "verification_token", "bot.lark",
		    &c->lark.verification_token) ||
		    get_path(l, b, "download_dir", "bot.lark", &c->lark.download_dir))
			return -1;
		if (strcmp(c->lark.mode, "websocket") != 0 &&
		    strcmp(c->lark.mode, "callback") != 0)
			return fail_at(l, map_get(l, b, "mode"), "bot.lark.mode: expected "
			    "websocket or callback, got \"%s\"", c->lark.mode);
		if (strcmp(c->lark.domain, "feishu") != 0 &&
		    strcmp(c->lark.domain, "lark") != 0 &&
		    !str_starts(c->lark.domain, "https://") &&
		    !str_starts(c->lark.domain, "http://"))
			return fail_at(l, map_get(l, b, "domain"), "bot.lark.domain: expected "
			    "feishu, lark or an http(s) URL, got \"%s\"", c->lark.domain);
	}
	/* bot.webui; upstream's example also puts webui: at the top level. */
	if (get_section(l, bot, "webui", "bot", &b))
		return -1;
	if (b == NULL && get_section(l, root, "webui", "", &b))
		return -1;
	if (b) {
		const char *wp = b == map_get(l, root, "webui") ? "webui" : "bot.webui";
		if (get_bool(l, b, "enabled", wp, &c->webui.enabled) ||
		    get_int(l, b, "port", wp, 1, 65535, &c->webui.port) ||
		    get_str(l, b, "host", wp, &c->webui.host))
			return -1;
		/* upstream's example spells it bind: */
		if (map_get(l, b, "host") == NULL &&
		    get_str(l, b, "bind", wp, &c->webui.host))
			return -1;
	}
	return 0;
}

/* ---- public ------------------------------------------------------------- */

char *
config_path(const char *explicit_path)
{
	const char *env = getenv("CODECAST_CONFIG");
	char *home;

	if (explicit_path && *explicit_path)
		return xstrdup(explicit_path);
	if (env && *env)
		return xstrdup(env);
	home = path_state("config.yaml");
	if (access(home, F_OK) == 0)
		return home;
	free(home);
	return xstrdup("config.yaml");
}

struct config *
config_load(const char *path, char **errmsg)
{
	struct ld l = { path, NULL, NULL };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct config *c;
	struct stat st;
	FILE *f;

	*errmsg = NULL;
	if ((f = fopen(path, "rb")) == NULL) {
		*errmsg = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		*errmsg = xasprintf("%s: %s", path, strerror(EISDIR));
		return NULL;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		*errmsg = xasprintf("%s: cannot initialise the YAML parser", path);
		return NULL;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		const char *what = parser.problem ? parser.problem : "syntax error";
		if (parser.context)
			*errmsg = xasprintf("%s:%zu:%zu: %s %s", path,
			    parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			    what, parser.context);
		else
			*errmsg = xasprintf("%s:%zu:%zu: %s", path,
			    parser.problem_mark.line + 1, parser.problem_mark.column + 1, what);
		yaml_parser_delete(&parser);
		fclose(f);
		return NULL;
	}
	yaml_parser_delete(&parser);
	fclose(f);

	l.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || is_null(root)) {
		yaml_document_delete(&doc);
		*errmsg = xasprintf("%s: config file is empty", path);
		return NULL;
	}
	if (root->type != YAML_MAPPING_NODE) {
		fail_at(&l, root, "expected a mapping at the top level, got %s", node_kind(root));
		yaml_document_delete(&doc);
		*errmsg = l.err;
		return NULL;
	}

	c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	config_defaults(c);
	if (parse_peers(&l, root, c) != 0 || check_jumps(&l, root, c) != 0 ||
	    parse_sections(&l, root, c) != 0) {
		yaml_document_delete(&doc);
		config_free(c);
		*errmsg = l.err ? l.err : xasprintf("%s: invalid config", path);
		return NULL;
	}
	yaml_document_delete(&doc);
	return c;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->npeers; i++)
		peer_free(&c->peers[i]);
	free(c->peers);
	free(c->path);
	free(c->default_mode);
	free(c->tool_display);
	free(c->update_command);
	free(c->skills.shared_dir);
	free(c->daemon.install_dir);
	free(c->daemon.log_file);
	free(c->daemon.binary);
	free(c->file_pool.pool_dir);
	free(c->file_pool.remote_dir);
	strlist_free(&c->file_pool.allowed_types);
	free(c->file_forward.download_dir);
	for (size_t i = 0; i < c->file_forward.nrules; i++)
		free(c->file_forward.rules[i].pattern);
	free(c->file_forward.rules);
	free(c->discord.token);
	strlist_free(&c->discord.allowed_channels);
	free(c->discord.command_prefix);
	free(c->discord.api_url);
	free(c->discord.gateway_url);
	strlist_free(&c->discord.guild_ids);
	strlist_free(&c->discord.admin_users);
	free(c->telegram.token);
	strlist_free(&c->telegram.allowed_users);
	strlist_free(&c->telegram.admin_users);
	strlist_free(&c->telegram.allowed_chats);
	free(c->telegram.api_url);
	free(c->lark.app_id);
	free(c->lark.app_secret);
	free(c->lark.domain);
	free(c->lark.mode);
	free(c->lark.bind);
	free(c->lark.encrypt_key);
	free(c->lark.verification_token);
	free(c->lark.download_dir);
	strlist_free(&c->lark.allowed_chats);
	strlist_free(&c->lark.admin_users);
	free(c->webui.host);
	free(c);
}

const struct peer *
config_peer(const struct config *c, const char *id)
{
	for (size_t i = 0; i < c->npeers; i++)
		if (strcmp(c->peers[i].id, id) == 0)
			return &c->peers[i];
	return NULL;
}

bool
config_peer_jump_only(const struct config *c, const struct peer *p)
{
	if (p->default_paths.n > 0)
		return false;
	for (size_t i = 0; i < c->npeers; i++)
		if (c->peers[i].proxy_jump && strcmp(c->peers[i].proxy_jump, p->id) == 0)
			return true;
	return false;
}

char *
config_peer_password(const struct peer *p, char **errmsg)
{
	struct buf b = {0};
	char *file;

	*errmsg = NULL;
	if (p->password == NULL)
		return NULL;
	if (!str_starts(p->password, "file:"))
		return xstrdup(p->password);
	file = path_expand_tilde(p->password + 5);
	if (read_file(file, 65536, &b) != 0) {
		*errmsg = xasprintf("%s: password file %s: %s", p->id, file, strerror(errno));
		free(file);
		buf_free(&b);
		return NULL;
	}
	free(file);
	char *s = buf_steal(&b);
	return str_trim(s);
}

char *
config_peer_url(const struct peer *p)
{
	if (p->address == NULL || *p->address == '\0')
		return NULL;
	if (str_starts(p->address, "https://") || str_starts(p->address, "http://"))
		return xstrdup(p->address);
	return xasprintf("https://%s", p->address);
}

const char *
transport_name(enum transport t)
{
	switch (t) {
	case TRANSPORT_HTTP:
		return "http";
	case TRANSPORT_LOCAL:
		return "local";
	default:
		return "ssh";
	}
}

const char *
host_key_check_name(enum host_key_check h)
{
	switch (h) {
	case HKC_STRICT:
		return "strict";
	case HKC_OFF:
		return "off";
	default:
		return "accept-new";
	}
}
