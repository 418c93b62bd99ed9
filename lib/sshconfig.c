/* sshconfig.c — the Host entries of an OpenSSH client config, read the way
 * ssh_config(5) reads it, reduced to what /add-machine needs.
 *
 * - Keywords are case-insensitive; `Key value`, `Key=value` and
 *   `Key = value` are all accepted; arguments may be quoted ("..." or
 *   '...', backslash escapes a quote, a backslash or a space); an unquoted
 *   argument starting with # starts a comment.  ProxyCommand takes the rest
 *   of the line as it is.
 * - Each `Host` line starts a block; each of its arguments that is not a
 *   pattern (no *, ? or !) is an entry, listed in order of first
 *   appearance.  An alias named by several blocks collects values from all
 *   of them, the first value obtained winning (as in ssh_config(5)).
 *   Values under pattern-only blocks (`Host *`) or `Match` blocks create
 *   nothing and are given to nobody: an entry holds only what its own
 *   blocks say.
 * - `Include` takes globs; a relative path is taken relative to the
 *   directory of the top-level file (~/.ssh for ~/.ssh/config, as OpenSSH
 *   does for the user's config), `~` is the home directory.  Lines of an
 *   included file before its first Host line belong to the block the
 *   Include sits in; the block in force is restored after it.  Includes
 *   nest at most 16 deep (OpenSSH's limit), which also ends cycles.
 * - Port is an integer 1-65535 (anything else is ignored); 22 when unset.
 *   `%h` in HostName is the alias, `%%` a percent sign. */
#include "sshconfig.h"
#include "paths.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SSHCONFIG_MAX_DEPTH	16
#define SSHCONFIG_MAX_SIZE	(4 * 1024 * 1024)

struct loader {
	struct ssh_host *h;
	size_t n;
	char *base;		/* directory for relative Include paths */
	char *err;
};

/* The entries the current block gives values to (indices into h). */
struct block {
	size_t *idx;
	size_t n;
};

static void
block_copy(struct block *dst, const struct block *src)
{
	dst->n = src->n;
	dst->idx = src->n ? xreallocarray(NULL, src->n, sizeof *dst->idx) : NULL;
	if (src->n)
		memcpy(dst->idx, src->idx, src->n * sizeof *dst->idx);
}

static bool
is_pattern(const char *s)
{
	return strpbrk(s, "*?!") != NULL;
}

static size_t
entry_for(struct loader *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->h[i].name, name) == 0)
			return i;
	l->h = xreallocarray(l->h, l->n + 1, sizeof *l->h);
	memset(&l->h[l->n], 0, sizeof l->h[l->n]);
	l->h[l->n].name = xstrdup(name);
	return l->n++;
}

/* Split the arguments of a line into argv (malloc'd strings).  Returns the
 * count. */
static size_t
split_args(const char *s, char ***argv)
{
	struct buf w = {0};
	size_t n = 0;

	*argv = NULL;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			break;
		char quote = 0;
		bool any = false;
		buf_clear(&w);
		while (*s) {
			if (quote) {
				if (*s == quote) {
					quote = 0;
					s++;
					continue;
				}
			} else if (*s == ' ' || *s == '\t') {
				break;
			} else if (*s == '"' || *s == '\'') {
				quote = *s++;
				any = true;
				continue;
			}
			if (*s == '\\' && (s[1] == '"' || s[1] == '\'' || s[1] == '\\' ||
			    s[1] == ' '))
				s++;
			buf_putc(&w, *s++);
			any = true;
		}
		if (!any)
			continue;
		*argv = xreallocarray(*argv, n + 1, sizeof **argv);
		(*argv)[n++] = xstrndup(w.s ? w.s : "", w.len);
	}
	buf_free(&w);
	return n;
}

static void
free_args(char **argv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
}

static void
set_first(char **field, const char *v)
{
	if (*field == NULL)
		*field = xstrdup(v);
}

static int parse_file(struct loader *l, const char *path, int depth,
    const struct block *outer, bool top);

static int
do_include(struct loader *l, char **argv, size_t argc, int depth,
    const struct block *cur, const char *file, size_t lineno)
{
	for (size_t i = 0; i < argc; i++) {
		char *p = path_expand_tilde(argv[i]);
		glob_t g;
		int rc;

		if (p[0] != '/') {
			char *abs = xasprintf("%s/%s", l->base, p);
			free(p);
			p = abs;
		}
		memset(&g, 0, sizeof g);
		rc = glob(p, 0, NULL, &g);
		if (rc == GLOB_NOMATCH) {
			free(p);
			globfree(&g);
			continue;
		}
		if (rc != 0) {
			l->err = xasprintf("%s:%zu: Include %s: %s", file, lineno, p,
			    rc == GLOB_NOSPACE ? "out of memory" : "cannot read a directory");
			free(p);
			globfree(&g);
			return -1;
		}
		free(p);
		for (size_t j = 0; j < g.gl_pathc; j++) {
			if (parse_file(l, g.gl_pathv[j], depth + 1, cur, false) != 0) {
				globfree(&g);
				return -1;
			}
		}
		globfree(&g);
	}
	return 0;
}

/* One line: keyword, separator, arguments. */
static int
parse_line(struct loader *l, char *line, int depth, struct block *cur,
    const char *file, size_t lineno)
{
	char *kw, *rest, **argv;
	size_t argc, klen;
	int rc = 0;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#')
		return 0;
	kw = line;
	klen = strcspn(kw, " \t=");
	rest = kw + klen;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest == '=') {
		rest++;
		while (*rest == ' ' || *rest == '\t')
			rest++;
	}
	kw[klen] = '\0';		/* rest lies past it: the separator was there */

	if (strcasecmp(kw, "ProxyCommand") == 0) {
		char *v = xstrdup(rest);
		str_trim(v);
		if (*v)
			for (size_t i = 0; i < cur->n; i++)
				set_first(&l->h[cur->idx[i]].proxy_command, v);
		free(v);
		return 0;
	}

	argc = split_args(rest, &argv);
	if (strcasecmp(kw, "Host") == 0) {
		cur->n = 0;
		for (size_t i = 0; i < argc; i++) {
			if (is_pattern(argv[i]))
				continue;
			size_t e = entry_for(l, argv[i]);
			bool dup = false;
			for (size_t k = 0; k < cur->n; k++)
				dup = dup || cur->idx[k] == e;
			if (dup)
				continue;
			cur->idx = xreallocarray(cur->idx, cur->n + 1, sizeof *cur->idx);
			cur->idx[cur->n++] = e;
		}
	} else if (strcasecmp(kw, "Match") == 0) {
		cur->n = 0;
	} else if (strcasecmp(kw, "Include") == 0) {
		rc = do_include(l, argv, argc, depth, cur, file, lineno);
	} else if (argc > 0) {
		for (size_t i = 0; i < cur->n; i++) {
			struct ssh_host *h = &l->h[cur->idx[i]];
			long long port;

			if (strcasecmp(kw, "HostName") == 0)
				set_first(&h->hostname, argv[0]);
			else if (strcasecmp(kw, "User") == 0)
				set_first(&h->user, argv[0]);
			else if (strcasecmp(kw, "ProxyJump") == 0)
				set_first(&h->proxy_jump, argv[0]);
			else if (strcasecmp(kw, "IdentityFile") == 0)
				set_first(&h->identity_file, argv[0]);
			else if (strcasecmp(kw, "Port") == 0 && h->port == 0 &&
			    str_to_ll(argv[0], 1, 65535, &port))
				h->port = (int)port;
		}
	}
	free_args(argv, argc);
	return rc;
}

static int
parse_file(struct loader *l, const char *path, int depth,
    const struct block *outer, bool top)
{
	struct buf b = {0};
	struct block cur;
	size_t lineno = 0;
	char *p, *nl;
	int rc = 0;

	if (depth > SSHCONFIG_MAX_DEPTH) {
		l->err = xasprintf("%s: Include nested more than %d deep",
		    path, SSHCONFIG_MAX_DEPTH);
		return -1;
	}
	if (read_file(path, SSHCONFIG_MAX_SIZE, &b) != 0) {
		int e = errno;
		buf_free(&b);
		if (top && e == ENOENT)
			return 0;
		l->err = xasprintf("%s: %s", path, strerror(e));
		return -1;
	}
	block_copy(&cur, outer);
	for (p = b.s ? b.s : ""; p && *p; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		size_t len = strlen(p);
		if (len && p[len - 1] == '\r')
			p[len - 1] = '\0';
		lineno++;
		if ((rc = parse_line(l, p, depth, &cur, path, lineno)) != 0)
			break;
	}
	free(cur.idx);
	buf_free(&b);
	return rc;
}

/* %h → the alias, %% → %, in HostName (ssh_config(5) TOKENS). */
static void
expand_hostname(struct ssh_host *h)
{
	struct buf b = {0};

	if (h->hostname == NULL || strchr(h->hostname, '%') == NULL)
		return;
	for (const char *s = h->hostname; *s; s++) {
		if (s[0] == '%' && s[1] == 'h') {
			buf_puts(&b, h->name);
			s++;
		} else if (s[0] == '%' && s[1] == '%') {
			buf_putc(&b, '%');
			s++;
		} else
			buf_putc(&b, *s);
	}
	free(h->hostname);
	h->hostname = buf_steal(&b);
}

/* The host of `ssh [-opt ...] HOST -W ...` in a ProxyCommand: upstream's
 * search for "ssh", white space, any number of dash-options each followed
 * by white space, a host token, white space and -W.  NULL when none. */
static char *
proxy_command_host(const char *cmd)
{
	static const char re_src[] =
	    "ssh[[:space:]]+(-[^[:space:]]+[[:space:]]+)*([^[:space:]]+)[[:space:]]+-W";
	regex_t re;
	regmatch_t m[3];
	char *r = NULL;

	if (regcomp(&re, re_src, REG_EXTENDED) != 0)
		return NULL;
	if (regexec(&re, cmd, 3, m, 0) == 0 && m[2].rm_so >= 0)
		r = xstrndup(cmd + m[2].rm_so, (size_t)(m[2].rm_eo - m[2].rm_so));
	regfree(&re);
	return r;
}

int
sshconfig_load(const char *path, struct ssh_host **hosts, size_t *n,
    char **errmsg)
{
	struct loader l = {0};
	struct block none = {0};
	const char *slash = strrchr(path, '/');

	*hosts = NULL;
	*n = 0;
	*errmsg = NULL;
	l.base = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) :
	    xstrdup(".");
	if (parse_file(&l, path, 0, &none, true) != 0) {
		sshconfig_free(l.h, l.n);
		free(l.base);
		*errmsg = l.err;
		return -1;
	}
	free(l.base);
	for (size_t i = 0; i < l.n; i++) {
		if (l.h[i].port == 0)
			l.h[i].port = 22;
		expand_hostname(&l.h[i]);
		if (l.h[i].proxy_command && strcasecmp(l.h[i].proxy_command, "none") != 0)
			l.h[i].proxy_command_host = proxy_command_host(l.h[i].proxy_command);
	}
	*hosts = l.h;
	*n = l.n;
	return 0;
}

void
sshconfig_free(struct ssh_host *hosts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(hosts[i].name);
		free(hosts[i].hostname);
		free(hosts[i].user);
		free(hosts[i].proxy_jump);
		free(hosts[i].proxy_command);
		free(hosts[i].identity_file);
		free(hosts[i].proxy_command_host);
	}
	free(hosts);
}

const struct ssh_host *
sshconfig_find(const struct ssh_host *hosts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(hosts[i].name, name) == 0)
			return &hosts[i];
	return NULL;
}

const char *
ssh_host_proxy(const struct ssh_host *h)
{
	if (h->proxy_jump && strcasecmp(h->proxy_jump, "none") != 0)
		return h->proxy_jump;
	return h->proxy_command_host;
}
