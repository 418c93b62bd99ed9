/* daemon_auth.c — daemon.yaml, tokens.yaml, token checks, loopback rules.
 * See daemon_auth.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <yaml.h>

#include "daemon_auth.h"
#include "paths.h"
#include "util.h"

/* Parse a whole YAML file into a document.  1 loaded, 0 no such file,
 * -1 error (*errmsg set). */
static int
load_doc(const char *path, yaml_document_t *doc, char **errmsg)
{
	struct buf b = { 0 };
	yaml_parser_t p;
	int rc = 1;

	if (read_file(path, 16 << 20, &b) == -1) {
		if (errno == ENOENT) {
			buf_free(&b);
			return 0;
		}
		*errmsg = xasprintf("%s: %s", path, strerror(errno));
		buf_free(&b);
		return -1;
	}
	if (!yaml_parser_initialize(&p)) {
		*errmsg = xasprintf("%s: cannot initialise YAML parser", path);
		buf_free(&b);
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)(b.s ? b.s : ""),
	    b.len);
	if (!yaml_parser_load(&p, doc)) {
		*errmsg = xasprintf("%s:%zu:%zu: %s", path,
		    p.problem_mark.line + 1, p.problem_mark.column + 1,
		    p.problem ? p.problem : "YAML error");
		rc = -1;
	}
	yaml_parser_delete(&p);
	buf_free(&b);
	return rc;
}

static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

static const char *
scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* YAML 1.1 booleans: 1, 0, or -1 for anything else. */
static int
yaml_bool(const char *s)
{
	static const char *yes[] = { "true", "yes", "on", "y" };
	static const char *no[] = { "false", "no", "off", "n" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* A number setting: unset when absent; out of range or not a number sets
 * c->invalid (the first one found). */
static void
conf_number(yaml_document_t *doc, yaml_node_t *root, const char *path,
    const char *key, long long min, long long max, long long *out,
    struct daemon_conf *c)
{
	const char *s = scalar(map_get(doc, root, key));

	if (s == NULL || *s == '\0')
		return;
	if (!str_to_ll(s, min, max, out) && c->invalid == NULL)
		c->invalid = xasprintf("%s: %s: not a number from %lld to %lld: "
		    "%s", path, key, min, max, s);
}

int
daemon_conf_load(const char *path, struct daemon_conf *c, char **errmsg)
{
	yaml_document_t doc;
	yaml_node_t *root;
	const char *s;
	long long port, v;
	int rc;

	memset(c, 0, sizeof(*c));
	c->tls = -1;
	c->replay_max = -1;
	rc = load_doc(path, &doc, errmsg);
	if (rc <= 0)
		return rc;
	root = yaml_document_get_root_node(&doc);
	if ((s = scalar(map_get(&doc, root, "port"))) != NULL &&
	    str_to_ll(s, 1, 65535, &port))
		c->port = (int)port;
	if ((s = scalar(map_get(&doc, root, "bind"))) != NULL && *s)
		c->bind = xstrdup(s);
	if ((s = scalar(map_get(&doc, root, "tokens_file"))) != NULL && *s)
		c->tokens_file = xstrdup(s);
	if ((s = scalar(map_get(&doc, root, "tls"))) != NULL && *s &&
	    (c->tls = yaml_bool(s)) == -1)
		c->invalid = xasprintf("%s: tls: not a boolean: %s", path, s);
	if ((s = scalar(map_get(&doc, root, "tls_cert"))) != NULL && *s)
		c->tls_cert = path_expand_tilde(s);
	if ((s = scalar(map_get(&doc, root, "tls_key"))) != NULL && *s)
		c->tls_key = path_expand_tilde(s);
	if (c->invalid == NULL && (c->tls_cert == NULL) != (c->tls_key == NULL))
		c->invalid = xasprintf("%s: tls_cert and tls_key go together",
		    path);
	v = 0;
	conf_number(&doc, root, path, "request_timeout", 1, 3600, &v, c);
	c->request_timeout = (int)v;
	v = 0;
	conf_number(&doc, root, path, "idle_timeout", 1, 3600, &v, c);
	c->idle_timeout = (int)v;
	v = 0;
	conf_number(&doc, root, path, "max_connections", 1, 65536, &v, c);
	c->max_connections = (int)v;
	conf_number(&doc, root, path, "replay_max", 0, 1LL << 40,
	    &c->replay_max, c);
	yaml_document_delete(&doc);
	return 0;
}

void
daemon_conf_free(struct daemon_conf *c)
{
	free(c->bind);
	free(c->tokens_file);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->invalid);
	memset(c, 0, sizeof(*c));
	c->tls = -1;
	c->replay_max = -1;
}

int
tokens_load(const char *path, struct tokens *t, char **errmsg)
{
	yaml_document_t doc;
	yaml_node_t *seq;
	yaml_node_item_t *it;
	int rc;

	memset(t, 0, sizeof(*t));
	rc = load_doc(path, &doc, errmsg);
	if (rc <= 0)
		return rc;
	seq = map_get(&doc, yaml_document_get_root_node(&doc), "tokens");
	if (seq && seq->type == YAML_SEQUENCE_NODE) {
		for (it = seq->data.sequence.items.start;
		    it < seq->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(&doc, *it);
			const char *tok = scalar(map_get(&doc, e, "token"));

			if (tok == NULL || *tok == '\0')
				continue;
			t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
			t->v[t->n++] = xstrdup(tok);
		}
	}
	yaml_document_delete(&doc);
	return 0;
}

void
tokens_free(struct tokens *t)
{
	for (size_t i = 0; i < t->n; i++) {
		explicit_bzero(t->v[i], strlen(t->v[i]));
		free(t->v[i]);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void
tokens_add(struct tokens *t, const char *tok)
{
	t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
	t->v[t->n++] = xstrdup(tok);
}

/* Constant time in the contents; the length of a candidate is not secret. */
static bool
ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	volatile unsigned char diff = (unsigned char)(alen != blen);
	size_t n = alen < blen ? alen : blen;

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

bool
tokens_check(const struct tokens *t, const char *tok, size_t len)
{
	bool ok = false;

	/* Look at every token, so the time does not say which one matched. */
	for (size_t i = 0; i < t->n; i++)
		ok |= ct_equal(t->v[i], strlen(t->v[i]), tok, len);
	return ok;
}

bool
bind_is_loopback(const char *bind)
{
	return strcmp(bind, "127.0.0.1") == 0 || strcmp(bind, "localhost") == 0 ||
	    strcmp(bind, "::1") == 0;
}

bool
sockaddr_is_loopback(const struct sockaddr *sa)
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && a[12] == 127;
	}
	return false;
}

bool
host_header_ok(const char *host, const char *bind)
{
	const char *end;
	size_t n;
	struct in_addr a4;
	char tmp[64];

	if (host == NULL)
		return true;
	/* the name without its :port */
	if (*host == '[') {
		if ((end = strchr(host, ']')) == NULL)
			return false;
		end++;
	} else
		end = host + strcspn(host, ":");
	if (*end == ':') {
		const char *p = end + 1;

		if (*p == '\0' || strspn(p, "0123456789") != strlen(p) ||
		    strlen(p) > 5)
			return false;
	} else if (*end != '\0')
		return false;
	n = (size_t)(end - host);
	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, host, n);
	tmp[n] = '\0';
	if (strcasecmp(tmp, "localhost") == 0 || strcmp(tmp, "[::1]") == 0)
		return true;
	if (inet_pton(AF_INET, tmp, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127)
		return true;
	if (bind == NULL)
		return false;
	if (strcasecmp(tmp, bind) == 0)
		return true;
	/* an IPv6 bind address is written in brackets in Host */
	return tmp[0] == '[' && n - 2 == strlen(bind) &&
	    strncasecmp(tmp + 1, bind, n - 2) == 0;
}
