/* machinecmd.c — /add-machine, /add-machine --from-ssh and /remove-machine
 * (upstream-engine.md §3.17–§3.19), with upstream's reply texts.
 *
 * There is no runtime-only config: a peer exists once config.yaml has it.
 * So a change is written first (lib/cfgedit) and *cfg is then reloaded
 * from the file; when the file cannot be written, upstream's warning is
 * sent with the error and *cfg is left as it was.
 *
 * Differences from upstream, on purpose:
 * - Values typed in the chat may not contain `${`: config_load expands
 *   ${VAR} from the head's environment, so a password or host of
 *   `${TELEGRAM_TOKEN}` would hand the bot's secrets to a host the chat
 *   user chose.  For the same reason a `file:` password (a local file read
 *   and sent as the password) can only be written into config.yaml by hand.
 * - A machine name is a file name in ~/.codecast/tunnels: it may not be
 *   empty, contain / or white space or control characters, or start with
 *   . or -.
 * - --port and --daemon-port must be 1-65535 (config_load's range), and a
 *   proxy jump host must be an ssh peer (config_load's rule), else the
 *   edited file would not load.
 * - An entry's IdentityFile (from ~/.ssh/config) becomes the peer's ssh_key:
 *   the head's SSH client does not read ~/.ssh/config.
 * - A host imported by number that cannot be saved is listed under Errors
 *   instead of being dropped with only a log line. */
#include "machinecmd.h"
#include "cfgedit.h"
#include "sshconfig.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef HOST_NAME_MAX
#define HOST_NAME_MAX 255
#endif

static void
say(struct strlist *out, char *msg)
{
	strlist_add(out, msg);
}

/* The user when the SSH config names none: $USER, else root (upstream). */
static const char *
default_user(void)
{
	const char *u = getenv("USER");

	return u && *u ? u : "root";
}

static bool
valid_name(const char *id)
{
	if (*id == '\0' || *id == '.' || *id == '-')
		return false;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (*p == '/' || *p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

/* Python's int() for a port as typed, then config_load's range. */
static bool
parse_port(const char *s, int *out)
{
	long long v;

	if (*s == '+')
		s++;
	if (!isdigit((unsigned char)*s) || !str_to_ll(s, 1, 65535, &v))
		return false;
	*out = (int)v;
	return true;
}

/* The peer list for the "not found" reply. */
static char *
peer_ids(const struct config *c)
{
	struct buf b = {0};

	for (size_t i = 0; i < c->npeers; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", c->peers[i].id);
	return buf_steal(&b);
}

/* An IdentityFile as ssh_key: %d %u %h %r %% expanded (ssh_config(5)), `~`
 * left to config_load.  NULL when none, "none", or another token. */
static char *
identity_key(const struct ssh_host *h, const char *host, const char *user)
{
	struct buf b = {0};
	const char *s = h->identity_file;

	if (s == NULL || strcasecmp(s, "none") == 0)
		return NULL;
	for (; *s; s++) {
		if (*s != '%') {
			buf_putc(&b, *s);
			continue;
		}
		switch (*++s) {
		case 'd': {
			const char *home = getenv("HOME");
			struct passwd *pw = home && *home ? NULL : getpwuid(getuid());
			buf_puts(&b, pw ? pw->pw_dir : home ? home : "/");
			break;
		}
		case 'u': {
			struct passwd *pw = getpwuid(getuid());
			buf_puts(&b, pw ? pw->pw_name : default_user());
			break;
		}
		case 'h':
			buf_puts(&b, host);
			break;
		case 'r':
			buf_puts(&b, user);
			break;
		case '%':
			buf_putc(&b, '%');
			break;
		default:
			buf_free(&b);
			return NULL;
		}
	}
	return buf_steal(&b);
}

/* Write the peer, then reload *cfg from the file. */
static int
persist_add(struct config **cfg, const struct peer_spec *ps, char **err)
{
	struct config *c;

	if (cfgedit_add_peer((*cfg)->path, ps, err) != 0)
		return -1;
	if ((c = config_load((*cfg)->path, err)) == NULL)
		return -1;
	config_free(*cfg);
	*cfg = c;
	return 0;
}

/* A jump host must be a configured ssh peer. */
static const struct peer *
jump_peer(const struct config *c, const char *id)
{
	const struct peer *j = config_peer(c, id);

	return j && j->transport == TRANSPORT_SSH ? j : NULL;
}

/* ---- /add-machine ------------------------------------------------------- */

static const char add_usage[] =
    "Usage:\n"
    "`/add-machine <name>` — Add from SSH config\n"
    "`/add-machine <name> <host> <user> [options]` — Manual\n"
    "`/add-machine --from-ssh` — List all SSH hosts to import\n"
    "\n"
    "Options: `--proxy-jump`, `--node-path`, `--password`, `--port`, "
    "`--daemon-port`, `--paths`";

bool
machine_add(struct config **cfg, char *const *args, size_t nargs,
    const char *ssh_config, struct strlist *out)
{
	const char *id, *host = NULL, *user = NULL, *proxy = NULL, *node = NULL;
	const char *password = NULL;
	struct strlist paths = {0};
	struct ssh_host *hosts = NULL;
	size_t nhosts = 0, i;
	char *ssh_key = NULL, *err = NULL;
	int port = 22, dport = 9100;
	bool added = false;

	if (nargs == 0 || strcmp(args[0], "--from-ssh") == 0) {
		/* --from-ssh is machine_import_list's (the engine routes it) */
		say(out, xstrdup(add_usage));
		return false;
	}
	id = args[0];
	if (config_peer(*cfg, id)) {
		say(out, xasprintf("Machine `%s` already exists. Remove it first with "
		    "`/remove-machine %s`.", id, id));
		return false;
	}
	if (nargs >= 3 && !str_starts(args[1], "--")) {
		host = args[1];
		user = args[2];
		i = 3;
	} else
		i = 1;
	for (; i < nargs; i += 2) {
		const char *f = args[i], *v = i + 1 < nargs ? args[i + 1] : NULL;

		if (v && !strcmp(f, "--proxy-jump"))
			proxy = v;
		else if (v && !strcmp(f, "--node-path"))
			node = v;
		else if (v && !strcmp(f, "--password"))
			password = v;
		else if (v && !strcmp(f, "--port")) {
			if (!parse_port(v, &port)) {
				say(out, xasprintf("Invalid port: `%s`", v));
				goto out;
			}
		} else if (v && !strcmp(f, "--daemon-port")) {
			if (!parse_port(v, &dport)) {
				say(out, xasprintf("Invalid daemon port: `%s`", v));
				goto out;
			}
		} else if (v && !strcmp(f, "--paths")) {
			char *list = xstrdup(v), *save = NULL;
			strlist_free(&paths);
			for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				str_trim(t);
				if (*t)
					strlist_add(&paths, xstrdup(t));
			}
			free(list);
		} else {
			say(out, xasprintf("Unknown option: `%s`", f));
			goto out;
		}
	}

	if (!valid_name(id)) {
		say(out, xasprintf("**Error:** `%s` cannot be a machine name: no `/`, spaces "
		    "or control characters, and not starting with `.` or `-`.", id));
		goto out;
	}
	{
		const char *typed[] = { id, host, user, proxy, node, password };
		bool env = false;
		for (size_t k = 0; k < sizeof typed / sizeof typed[0]; k++)
			env = env || (typed[k] && strstr(typed[k], "${"));
		for (size_t k = 0; k < paths.n; k++)
			env = env || strstr(paths.v[k], "${");
		if (env) {
			say(out, xstrdup("**Error:** `${` is not accepted in /add-machine values: "
			    "config.yaml expands `${VAR}` from the head's environment. "
			    "Write such a value into config.yaml by hand."));
			goto out;
		}
		if (password && str_starts(password, "file:")) {
			say(out, xstrdup("**Error:** a `file:` password reads a file on the head; "
			    "it can only be written into config.yaml by hand."));
			goto out;
		}
	}

	if (host == NULL || user == NULL) {
		const struct ssh_host *m;

		if (sshconfig_load(ssh_config, &hosts, &nhosts, &err) != 0) {
			say(out, xasprintf("**Error:** %s", err));
			goto out;
		}
		if ((m = sshconfig_find(hosts, nhosts, id)) == NULL) {
			say(out, xasprintf("Machine `%s` not found in SSH config.\n"
			    "Specify host and user: `/add-machine %s <host> <user>`\n"
			    "Or use `/add-machine --from-ssh` to browse available hosts.", id, id));
			goto out;
		}
		host = m->hostname ? m->hostname : m->name;
		user = m->user ? m->user : default_user();
		if (port == 22 && m->port != 22)
			port = m->port;
		const char *ep = ssh_host_proxy(m);
		if (proxy == NULL && ep) {
			if (config_peer(*cfg, ep) == NULL) {
				say(out, xasprintf("Found `%s` in SSH config (host=`%s`, user=`%s`).\n"
				    "**Note:** SSH config specifies proxy_jump=`%s` but it's not "
				    "configured as a machine yet. Add `%s` first, or specify "
				    "`--proxy-jump` manually.", id, host, user, ep, ep));
				goto out;
			}
			proxy = ep;
		}
		ssh_key = identity_key(m, host, user);
		if (proxy)
			say(out, xasprintf("Resolved `%s` from SSH config: host=`%s`, user=`%s`, "
			    "proxy=`%s`", id, host, user, proxy));
		else
			say(out, xasprintf("Resolved `%s` from SSH config: host=`%s`, user=`%s`",
			    id, host, user));
	}

	if (proxy && config_peer(*cfg, proxy) == NULL) {
		char *ids = peer_ids(*cfg);
		say(out, xasprintf("Proxy jump host `%s` not found. Available machines: %s",
		    proxy, ids));
		free(ids);
		goto out;
	}
	if (proxy && jump_peer(*cfg, proxy) == NULL) {
		say(out, xasprintf("Proxy jump host `%s` is a %s peer: a jump host must be "
		    "an ssh peer.", proxy, transport_name(config_peer(*cfg, proxy)->transport)));
		goto out;
	}

	bool local = host_is_local(host);
	struct peer_spec ps = {
		.id = id, .transport = local ? "local" : "ssh", .host = host,
		.user = user, .ssh_key = ssh_key, .port = port, .daemon_port = dport,
		.proxy_jump = proxy, .node_path = node, .password = password,
		.paths = paths.v, .npaths = paths.n,
	};
	if (persist_add(cfg, &ps, &err) != 0) {
		say(out, xasprintf("**Warning:** Machine added to runtime but failed to save "
		    "to config.yaml: %s", err));
		goto out;
	}
	added = true;

	struct buf r = {0};
	buf_printf(&r, "Machine **%s** added%s", id, local ? " (localhost)" : "");
	if (proxy)
		buf_printf(&r, " via `%s`", proxy);
	buf_printf(&r, "\nHost: `%s` | User: `%s` | Port: %d\nDaemon port: %d", host, user,
	    port, dport);
	if (paths.n) {
		buf_puts(&r, "\nPaths: ");
		for (size_t k = 0; k < paths.n; k++)
			buf_printf(&r, "%s`%s`", k ? ", " : "", paths.v[k]);
	}
	if (node)
		buf_printf(&r, "\nNode: `%s`", node);
	say(out, buf_steal(&r));
out:
	free(err);
	free(ssh_key);
	strlist_free(&paths);
	sshconfig_free(hosts, nhosts);
	return added;
}

/* ---- /add-machine --from-ssh ---------------------------------------------- */

struct import_entry {
	char *name, *hostname, *user;
	char *proxy_jump;	/* shown in the list */
	char *proxy;		/* ssh_host_proxy: used when a configured machine */
	char *identity_file;
	int port;
};

struct machine_import {
	struct import_entry *e;
	size_t n;
};

void
machine_import_free(struct machine_import *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n; i++) {
		struct import_entry *e = &st->e[i];
		free(e->name);
		free(e->hostname);
		free(e->user);
		free(e->proxy_jump);
		free(e->proxy);
		free(e->identity_file);
	}
	free(st->e);
	free(st);
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Pad to width code points, as Python's {:<25s}. */
static void
put_padded(struct buf *b, const char *s, size_t width)
{
	size_t cps = 0;

	for (const char *p = s; *p; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			cps++;
	buf_puts(b, s);
	while (cps++ < width)
		buf_putc(b, ' ');
}

void
machine_import_list(const struct config *cfg, const char *ssh_config,
    struct machine_import **state, struct strlist *out)
{
	struct ssh_host *hosts = NULL;
	size_t nhosts = 0, listed = 0;
	char *err = NULL;
	struct machine_import *st;
	struct buf b = {0};

	*state = NULL;
	say(out, xstrdup("Parsing SSH config..."));
	if (sshconfig_load(ssh_config, &hosts, &nhosts, &err) != 0) {
		say(out, xasprintf("**Error:** %s", err));
		free(err);
		return;
	}
	st = xcalloc(1, sizeof *st);
	for (size_t i = 0; i < nhosts; i++) {
		const struct ssh_host *h = &hosts[i];
		if (strcasecmp(h->name, "github.com") == 0)	/* a git remote */
			continue;
		listed++;
		if (config_peer(cfg, h->name))
			continue;
		st->e = xreallocarray(st->e, st->n + 1, sizeof *st->e);
		struct import_entry *e = &st->e[st->n++];
		memset(e, 0, sizeof *e);
		e->name = xstrdup(h->name);
		e->hostname = dup_or_null(h->hostname);
		e->user = dup_or_null(h->user);
		e->proxy_jump = h->proxy_jump && strcasecmp(h->proxy_jump, "none") ?
		    xstrdup(h->proxy_jump) : NULL;
		e->proxy = dup_or_null(ssh_host_proxy(h));
		e->identity_file = dup_or_null(h->identity_file);
		e->port = h->port;
	}
	sshconfig_free(hosts, nhosts);
	if (listed == 0) {
		say(out, xstrdup("No SSH hosts found in `~/.ssh/config`."));
		machine_import_free(st);
		return;
	}
	if (st->n == 0) {
		say(out, xstrdup("All SSH hosts are already configured as machines."));
		machine_import_free(st);
		return;
	}
	buf_printf(&b, "**SSH Hosts** (%zu found):\n```\n", st->n);
	for (size_t i = 0; i < st->n; i++) {
		const struct import_entry *e = &st->e[i];
		buf_printf(&b, "%3zu. ", i + 1);
		put_padded(&b, e->name, 25);
		buf_printf(&b, " %s", e->hostname ? e->hostname : "(no hostname)");
		if (e->user)
			buf_printf(&b, "  user=%s", e->user);
		if (e->proxy_jump)
			buf_printf(&b, "  proxy=%s", e->proxy_jump);
		if (e->port != 22)
			buf_printf(&b, "  port=%d", e->port);
		buf_putc(&b, '\n');
	}
	buf_puts(&b, "```\n\nReply with the **numbers** of hosts to add (e.g., `1 3 5`).");
	say(out, buf_steal(&b));
	*state = st;
}

bool
machine_import_select(struct config **cfg, struct machine_import *st,
    const char *text, struct strlist *out)
{
	struct buf added = {0}, errors = {0};
	char *copy = xstrdup(text), *save = NULL;
	size_t nadded = 0, nsel = 0;

	for (char *t = strtok_r(copy, " \t\n\r\f\v", &save); t;
	    t = strtok_r(NULL, " \t\n\r\f\v", &save)) {
		if (t[strspn(t, "0123456789")] != '\0')
			continue;	/* only pure-digit tokens count */
		nsel++;
		while (t[0] == '0' && t[1] != '\0')
			t++;
		size_t idx = strlen(t) > 9 ? 0 : (size_t)strtoul(t, NULL, 10);
		struct buf *eb = &errors;
		if (idx < 1 || idx > st->n) {
			buf_printf(eb, "%sIndex %s out of range", eb->len ? "; " : "", t);
			continue;
		}
		const struct import_entry *e = &st->e[idx - 1];
		if (config_peer(*cfg, e->name)) {
			buf_printf(eb, "%s`%s` already exists", eb->len ? "; " : "", e->name);
			continue;
		}
		if (!valid_name(e->name)) {
			buf_printf(eb, "%s`%s` cannot be a machine name", eb->len ? "; " : "",
			    e->name);
			continue;
		}
		const char *host = e->hostname ? e->hostname : e->name;
		const char *user = e->user ? e->user : default_user();
		struct ssh_host src = { .name = e->name, .identity_file = e->identity_file };
		char *key = identity_key(&src, host, user), *err = NULL;
		bool local = host_is_local(host);
		struct peer_spec ps = {
			.id = e->name, .transport = local ? "local" : "ssh", .host = host,
			.user = user, .ssh_key = key, .port = e->port, .daemon_port = 9100,
			/* a proxy that is not a configured ssh peer is dropped */
			.proxy_jump = e->proxy && jump_peer(*cfg, e->proxy) ? e->proxy : NULL,
		};
		if (persist_add(cfg, &ps, &err) != 0) {
			buf_printf(eb, "%s`%s` not saved: %s", eb->len ? "; " : "", e->name, err);
		} else {
			buf_printf(&added, "%s**%s**%s", nadded ? ", " : "", e->name,
			    local ? " (localhost)" : "");
			nadded++;
		}
		free(err);
		free(key);
	}
	free(copy);
	if (nsel == 0) {
		buf_free(&added);
		buf_free(&errors);
		return false;
	}

	struct buf r = {0};
	if (nadded)
		buf_printf(&r, "Added %zu machine(s): %s", nadded, added.s);
	if (errors.len)
		buf_printf(&r, "%sErrors: %s", r.len ? "\n" : "", errors.s);
	if (r.len == 0)
		buf_puts(&r, "No machines added.");
	say(out, buf_steal(&r));
	buf_free(&added);
	buf_free(&errors);
	return true;
}

/* ---- /remove-machine ------------------------------------------------------- */

struct machine_remove {
	char *id;
	json_t *sessions;	/* the rows listed in the question */
};

void
machine_remove_free(struct machine_remove *st)
{
	if (st == NULL)
		return;
	free(st->id);
	json_decref(st->sessions);
	free(st);
}

static const char *
row_str(const json_t *row, const char *key)
{
	const char *s = json_string_value(json_object_get(row, key));

	return s ? s : "?";
}

/* Delete the peer from the file, then reload.  false: *cfg unchanged. */
static bool
remove_now(struct config **cfg, const char *id, struct strlist *out)
{
	char *err = NULL;
	struct config *c;

	if (config_peer(*cfg, id) == NULL) {
		say(out, xasprintf("Machine `%s` not found.", id));
		return false;
	}
	if (cfgedit_remove_peer((*cfg)->path, id, &err) != 0 ||
	    (c = config_load((*cfg)->path, &err)) == NULL) {
		say(out, xasprintf("**Warning:** Removed from runtime but failed to update "
		    "config.yaml: %s", err));
		free(err);
		return false;
	}
	config_free(*cfg);
	*cfg = c;
	say(out, xasprintf("Machine **%s** removed.", id));
	return true;
}

enum machine_remove_result
machine_remove(struct config **cfg, const char *id, const json_t *sessions,
    struct machine_remove **state, struct strlist *out)
{
	struct buf deps = {0};
	json_t *active;
	size_t i;
	const json_t *row;

	*state = NULL;
	if (id == NULL || *id == '\0') {
		say(out, xstrdup("Usage: `/remove-machine <machine_id>`"));
		return MACHINE_NOT_REMOVED;
	}
	if (config_peer(*cfg, id) == NULL) {
		say(out, xasprintf("Machine `%s` not found.", id));
		return MACHINE_NOT_REMOVED;
	}
	for (i = 0; i < (*cfg)->npeers; i++) {
		const struct peer *p = &(*cfg)->peers[i];
		if (p->proxy_jump && !strcmp(p->proxy_jump, id) && strcmp(p->id, id))
			buf_printf(&deps, "%s`%s`", deps.len ? ", " : "", p->id);
	}
	if (deps.len) {
		say(out, xasprintf("Cannot remove **%s**: it is used as `proxy_jump` by: %s\n"
		    "Remove those machines first.", id, deps.s));
		buf_free(&deps);
		return MACHINE_NOT_REMOVED;
	}

	active = json_array();
	json_array_foreach(sessions, i, row) {
		const char *s = json_string_value(json_object_get(row, "status"));
		if (s && (!strcmp(s, "active") || !strcmp(s, "detached")))
			json_array_append_new(active, json_deep_copy(row));
	}
	if (json_array_size(active) == 0) {
		json_decref(active);
		return remove_now(cfg, id, out) ? MACHINE_REMOVED : MACHINE_NOT_REMOVED;
	}

	struct buf m = {0};
	buf_printf(&m, "Machine **%s** has %zu active session(s):\n", id,
	    json_array_size(active));
	json_array_foreach(active, i, row)
		buf_printf(&m, "  - `%s` (%s) at `%s`\n", row_str(row, "daemon_session_id"),
		    row_str(row, "status"), row_str(row, "path"));
	buf_puts(&m, "\nThese sessions will be detached. Type `yes` to confirm or `no` to cancel.");
	say(out, buf_steal(&m));
	*state = xcalloc(1, sizeof **state);
	(*state)->id = xstrdup(id);
	(*state)->sessions = active;
	return MACHINE_CONFIRM;
}

bool
machine_remove_answer(const struct machine_remove *st, const char *text,
    struct strlist *out)
{
	char *a = str_trim(xstrdup(text));
	bool yes;

	for (char *p = a; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	yes = !strcmp(a, "yes") || !strcmp(a, "y");
	free(a);
	if (!yes)
		say(out, xasprintf("Removal of **%s** cancelled.", st->id));
	return yes;
}

const json_t *
machine_remove_sessions(const struct machine_remove *st)
{
	return st->sessions;
}

const char *
machine_remove_id(const struct machine_remove *st)
{
	return st->id;
}

void
machine_remove_commit(struct config **cfg, const char *id, struct strlist *out)
{
	(void)remove_now(cfg, id, out);
}

/* ---- localhost ----------------------------------------------------------- */

static bool
iface_has(int family, const void *addr)
{
	struct ifaddrs *ifs, *i;
	bool found = false;

	if (getifaddrs(&ifs) != 0)
		return false;
	for (i = ifs; i && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family)
			continue;
		if (family == AF_INET)
			found = memcmp(&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr,
			    addr, sizeof(struct in_addr)) == 0;
		else
			found = memcmp(&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr,
			    addr, sizeof(struct in6_addr)) == 0;
	}
	freeifaddrs(ifs);
	return found;
}

static bool
v4_local(const struct in_addr *a)
{
	return (ntohl(a->s_addr) >> 24) == 127 || iface_has(AF_INET, a);
}

bool
host_is_local(const char *host)
{
	char name[HOST_NAME_MAX + 1], *lit = NULL;
	struct in_addr a4;
	struct in6_addr a6;
	bool local = false;

	if (host == NULL || *host == '\0')
		return false;
	if (!strcasecmp(host, "localhost") || !strcmp(host, "127.0.0.1") ||
	    !strcmp(host, "::1"))
		return true;
	/* An address: loopback, or one of this machine's interfaces. */
	if (host[0] == '[' && host[strlen(host) - 1] == ']')
		lit = xstrndup(host + 1, strlen(host) - 2);
	const char *h = lit ? lit : host;
	if (inet_pton(AF_INET, h, &a4) == 1) {
		local = v4_local(&a4);
		free(lit);
		return local;
	}
	if (inet_pton(AF_INET6, h, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			local = true;
		else if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(&a4, &a6.s6_addr[12], sizeof a4);
			local = v4_local(&a4);
		} else
			local = iface_has(AF_INET6, &a6);
		free(lit);
		return local;
	}
	free(lit);
	/* A name: this host's name, or its FQDN (looked up only when host
	 * starts with the short name and a dot). */
	if (gethostname(name, sizeof name) != 0)
		return false;
	name[sizeof name - 1] = '\0';
	if (!strcasecmp(host, name))
		return true;
	size_t sl = strcspn(name, ".");
	if (sl > 0 && !strncasecmp(host, name, sl) && host[sl] == '.') {
		struct addrinfo hints, *res = NULL;
		memset(&hints, 0, sizeof hints);
		hints.ai_flags = AI_CANONNAME;
		if (getaddrinfo(name, NULL, &hints, &res) == 0) {
			local = res && res->ai_canonname && !strcasecmp(res->ai_canonname, host);
			freeaddrinfo(res);
		}
	}
	return local;
}
