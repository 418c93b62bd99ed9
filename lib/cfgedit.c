/* cfgedit.c — add or remove one peer in config.yaml as a text edit: libyaml's
 * event parser gives the exact character range of every node, and only the
 * bytes of the one peer change.
 *
 * Which section: the one config_load reads — `peers:` when it has entries,
 * else `machines:` (a v1 file) when that has entries, else `peers:`.  A peer
 * added to `machines:` is written with the v1 keys (host, user, port,
 * localhost: true); to `peers:` with the v2 keys (transport, ssh_host,
 * ssh_user, ssh_port).
 *
 * Where and how a peer is added:
 * - to a block mapping: after the last peer's lines (below), with the key
 *   at the existing peers' column, its fields indented as that section's
 *   peers indent theirs (else as the file indents its first nested mapping,
 *   else 2), a list's "- " as the file's first block list under a key does;
 * - to a flow mapping with entries: ", ID: {k: v, ...}" after the last one;
 * - to `peers: {}`, an empty `peers:` or `peers: ~`: the empty value is
 *   dropped and a block mapping is written below the `peers:` line (a later
 *   removal of that only peer leaves `peers:`, which loads the same);
 * - to a file without the section (or an empty file, or comments only):
 *   `peers:` is appended at the end, at the top-level keys' column.
 * Line breaks follow the file's (CRLF when its first line ends so).  A file
 * that ends without a line break gets the peer after one, itself without a
 * final one, so that removing it gives the file back byte for byte.
 *
 * The lines of a peer (what a removal deletes, what an addition goes after):
 * from the start of its key's line through the end of the line where its
 * value ends (a comment on that line included), plus the comment lines that
 * follow directly and are indented deeper than the key (a commented-out
 * field of that peer).  Comments above the key, blank lines, and comments at
 * the key's column or less are not the peer's: they stay.  In a flow mapping
 * a removal deletes the entry and one comma next to it.
 *
 * Values are written as plain scalars when that is unambiguous (ASCII
 * letters, digits and ._/~@+- only; not a YAML null, boolean or number),
 * else double-quoted with escapes, so the loaded string is exactly the one
 * given.  ${VAR} is written as it is: config_load expands it as it does any
 * ${VAR} in the file.
 *
 * The result must load with config_load and have (or no longer have) the
 * peer before it replaces the file: a temporary file in the same directory
 * (mkstemp), the original's mode (and owner), fsync, rename, fsync of the
 * directory.  The directory is flock(2)ed for the read-modify-write, so
 * concurrent edits (one engine per chat platform) do not lose each other's
 * peer.  A symbolic link is followed: its target is edited. */
#include "cfgedit.h"
#include "config.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define CFGEDIT_MAX_SIZE	(16 * 1024 * 1024)

/* ---- the text and its events ------------------------------------------ */

struct text {
	char *s;
	size_t len;
	size_t *off;		/* byte offset of each character index */
	size_t nchars;
	const char *nl;		/* "\n", or "\r\n" when the file uses it */
};

struct ev {
	yaml_event_type_t type;
	size_t start, end;	/* byte offsets */
	size_t col;		/* column of start, in characters */
	char *value;		/* scalar */
	bool plain;		/* scalar in plain style */
	bool flow;		/* collection start in flow style */
	bool decorated;		/* an anchor or a tag */
	bool implicit;		/* document end without "..." */
};

struct entry {
	char *id;		/* NULL when the key is not a scalar */
	size_t key_start, key_col;
	size_t end;		/* where the entry's content ends */
	long child_col;		/* first key of a block-mapping value, or -1 */
};

enum sec_kind { SEC_NULL, SEC_BLOCK, SEC_FLOW, SEC_OTHER };

struct section {
	const char *name;
	bool present;
	size_t key_start, key_end, key_col;
	enum sec_kind kind;
	size_t vstart, vend;	/* the value node */
	struct entry *e;
	size_t n;
};

enum root_kind { ROOT_NONE, ROOT_NULL, ROOT_BLOCK, ROOT_OTHER };

struct doc {
	struct ev *ev;
	size_t nev;
	size_t ndocs;
	enum root_kind root;
	bool root_null_empty;	/* ROOT_NULL written as nothing (only "---") */
	size_t root_col;
	size_t doc_end;		/* offset of an explicit "...", else the length */
	struct section peers, machines;
	long step;		/* indentation of the file's first nested mapping */
	long seq_off;		/* "- " column minus its key's column */
};

static void
text_free(struct text *t)
{
	free(t->s);
	free(t->off);
}

/* libyaml counts characters (a BOM not included); we need bytes. */
static void
text_index(struct text *t)
{
	size_t i = 0, n = 0;

	if (t->len >= 3 && memcmp(t->s, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	t->off = xreallocarray(NULL, t->len - i + 1, sizeof *t->off);
	for (; i < t->len; i++)
		if (((unsigned char)t->s[i] & 0xc0) != 0x80)
			t->off[n++] = i;
	t->off[n] = t->len;
	t->nchars = n;
	const char *lf = memchr(t->s, '\n', t->len);
	t->nl = lf && lf > t->s && lf[-1] == '\r' ? "\r\n" : "\n";
}

static size_t
byte_at(const struct text *t, size_t idx)
{
	return t->off[idx < t->nchars ? idx : t->nchars];
}

static void
doc_free(struct doc *d)
{
	for (size_t i = 0; i < d->nev; i++)
		free(d->ev[i].value);
	free(d->ev);
	for (size_t i = 0; i < d->peers.n; i++)
		free(d->peers.e[i].id);
	free(d->peers.e);
	for (size_t i = 0; i < d->machines.n; i++)
		free(d->machines.e[i].id);
	free(d->machines.e);
}

static int
load_events(const char *path, const struct text *t, struct doc *d, char **errmsg)
{
	yaml_parser_t p;
	yaml_event_t e;
	int rc = 0;

	if (!yaml_parser_initialize(&p)) {
		*errmsg = xasprintf("%s: cannot initialise the YAML parser", path);
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)t->s, t->len);
	for (;;) {
		if (!yaml_parser_parse(&p, &e)) {
			*errmsg = xasprintf("%s:%zu:%zu: %s", path, p.problem_mark.line + 1,
			    p.problem_mark.column + 1, p.problem ? p.problem : "syntax error");
			rc = -1;
			break;
		}
		struct ev v = {0};
		v.type = e.type;
		v.start = byte_at(t, e.start_mark.index);
		v.end = byte_at(t, e.end_mark.index);
		v.col = e.start_mark.column;
		switch (e.type) {
		case YAML_SCALAR_EVENT:
			v.value = xstrndup((const char *)e.data.scalar.value,
			    e.data.scalar.length);
			v.plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			v.decorated = e.data.scalar.anchor || e.data.scalar.tag;
			break;
		case YAML_MAPPING_START_EVENT:
			v.flow = e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
			v.decorated = e.data.mapping_start.anchor || e.data.mapping_start.tag;
			break;
		case YAML_SEQUENCE_START_EVENT:
			v.flow = e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
			v.decorated = e.data.sequence_start.anchor ||
			    e.data.sequence_start.tag;
			break;
		case YAML_DOCUMENT_END_EVENT:
			v.implicit = e.data.document_end.implicit;
			break;
		default:
			break;
		}
		d->ev = xreallocarray(d->ev, d->nev + 1, sizeof *d->ev);
		d->ev[d->nev++] = v;
		bool done = e.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&e);
		if (done)
			break;
	}
	yaml_parser_delete(&p);
	return rc;
}

/* ---- the structure ------------------------------------------------------ */

static void
grow_end(size_t *end, size_t v)
{
	if (v > *end)
		*end = v;
}

/* Walk the node at ev[i]; returns the index past it.  *end grows to the end
 * of its content: scalars, aliases and flow collections' closing brackets
 * (a block collection's end event sits at the next token, so it does not
 * count).  key_col: the column of the key this node is the value of, or -1;
 * it teaches the file's indentation. */
static size_t
walk(struct doc *d, size_t i, long key_col, size_t *end)
{
	const struct ev *e;

	if (i >= d->nev)
		return i;
	e = &d->ev[i];
	switch (e->type) {
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
		grow_end(end, e->end);
		return i + 1;
	case YAML_SEQUENCE_START_EVENT:
		if (!e->flow && !e->decorated && key_col >= 0 && d->seq_off < 0 &&
		    (long)e->col >= key_col)
			d->seq_off = (long)e->col - key_col;
		i++;
		while (i < d->nev && d->ev[i].type != YAML_SEQUENCE_END_EVENT &&
		    d->ev[i].type != YAML_STREAM_END_EVENT)
			i = walk(d, i, -1, end);
		break;
	case YAML_MAPPING_START_EVENT: {
		bool first = true;
		i++;
		while (i < d->nev && d->ev[i].type != YAML_MAPPING_END_EVENT &&
		    d->ev[i].type != YAML_STREAM_END_EVENT) {
			long kc = (long)d->ev[i].col;
			if (first && !e->flow && key_col >= 0 && d->step < 0 && kc > key_col)
				d->step = kc - key_col;
			first = false;
			i = walk(d, i, -1, end);
			i = walk(d, i, e->flow ? -1 : kc, end);
		}
		break;
	}
	default:
		return i + 1;
	}
	if (i < d->nev && d->ev[i].type != YAML_STREAM_END_EVENT) {
		if (e->flow)
			grow_end(end, d->ev[i].end);
		return i + 1;
	}
	return i;
}

static bool
null_scalar(const struct ev *e)
{
	return e->type == YAML_SCALAR_EVENT && e->plain &&
	    (e->value[0] == '\0' || !strcmp(e->value, "~") || !strcmp(e->value, "null") ||
	    !strcmp(e->value, "Null") || !strcmp(e->value, "NULL"));
}

/* The section whose key is ev[k]; returns the index past its value. */
static size_t
read_section(struct doc *d, struct section *s, size_t k)
{
	size_t v = k + 1, i, dummy = 0;
	const struct ev *e;

	s->present = true;
	s->key_start = d->ev[k].start;
	s->key_end = d->ev[k].end;
	s->key_col = d->ev[k].col;
	if (v >= d->nev)
		return v;
	e = &d->ev[v];
	s->vstart = e->start;
	s->vend = e->end;
	if (e->type == YAML_SCALAR_EVENT) {
		s->kind = null_scalar(e) ? SEC_NULL : SEC_OTHER;
		return v + 1;
	}
	if (e->type != YAML_MAPPING_START_EVENT) {
		s->kind = SEC_OTHER;
		return walk(d, v, -1, &dummy);
	}
	s->kind = e->flow ? SEC_FLOW : SEC_BLOCK;
	i = v + 1;
	while (i < d->nev && d->ev[i].type != YAML_MAPPING_END_EVENT &&
	    d->ev[i].type != YAML_STREAM_END_EVENT) {
		struct entry en = { NULL, d->ev[i].start, d->ev[i].col, 0, -1 };
		if (d->ev[i].type == YAML_SCALAR_EVENT)
			en.id = xstrdup(d->ev[i].value);
		i = walk(d, i, -1, &en.end);
		if (i + 1 < d->nev && d->ev[i].type == YAML_MAPPING_START_EVENT &&
		    !d->ev[i].flow && d->ev[i + 1].type != YAML_MAPPING_END_EVENT)
			en.child_col = (long)d->ev[i + 1].col;
		i = walk(d, i, s->kind == SEC_BLOCK ? (long)en.key_col : -1, &en.end);
		s->e = xreallocarray(s->e, s->n + 1, sizeof *s->e);
		s->e[s->n++] = en;
	}
	if (i < d->nev && d->ev[i].type == YAML_MAPPING_END_EVENT) {
		if (s->kind == SEC_FLOW)
			s->vend = d->ev[i].end;
		return i + 1;
	}
	return i;
}

static int
read_doc(const char *path, const struct text *t, struct doc *d, char **errmsg)
{
	size_t i = 1, root = 0;

	d->step = d->seq_off = -1;
	d->peers.name = "peers";
	d->machines.name = "machines";
	d->doc_end = t->len;
	if (load_events(path, t, d, errmsg) != 0)
		return -1;
	while (i < d->nev && d->ev[i].type == YAML_DOCUMENT_START_EVENT) {
		d->ndocs++;
		size_t dummy = 0, r = i + 1;
		if (d->ndocs == 1)
			root = r;
		i = walk(d, r, -1, &dummy);
		if (i < d->nev && d->ev[i].type == YAML_DOCUMENT_END_EVENT) {
			if (d->ndocs == 1 && !d->ev[i].implicit)
				d->doc_end = d->ev[i].start;
			i++;
		}
	}
	if (d->ndocs > 1) {
		*errmsg = xasprintf("%s: holds %zu YAML documents; edit it by hand",
		    path, d->ndocs);
		return -1;
	}
	if (d->ndocs == 0)
		return 0;
	const struct ev *r = &d->ev[root];
	if (null_scalar(r)) {
		d->root = ROOT_NULL;
		d->root_null_empty = r->value[0] == '\0';
		return 0;
	}
	if (r->type != YAML_MAPPING_START_EVENT || r->flow) {
		d->root = ROOT_OTHER;
		return 0;
	}
	d->root = ROOT_BLOCK;
	d->step = d->seq_off = -1;	/* learnt again, below the root */
	i = root + 1;
	if (i < d->nev && d->ev[i].type != YAML_MAPPING_END_EVENT)
		d->root_col = d->ev[i].col;
	while (i < d->nev && d->ev[i].type != YAML_MAPPING_END_EVENT &&
	    d->ev[i].type != YAML_STREAM_END_EVENT) {
		const struct ev *k = &d->ev[i];
		size_t dummy = 0;
		if (k->type == YAML_SCALAR_EVENT && !strcmp(k->value, "peers") &&
		    !d->peers.present) {
			i = read_section(d, &d->peers, i);
		} else if (k->type == YAML_SCALAR_EVENT && !strcmp(k->value, "machines") &&
		    !d->machines.present) {
			i = read_section(d, &d->machines, i);
		} else {
			long kc = (long)k->col;
			i = walk(d, i, -1, &dummy);
			i = walk(d, i, kc, &dummy);
		}
	}
	return 0;
}

/* The section config_load reads; *v1 when it is machines:. */
static struct section *
target(struct doc *d, bool *v1)
{
	bool peers_full = d->peers.present &&
	    (d->peers.kind == SEC_BLOCK || d->peers.kind == SEC_FLOW) && d->peers.n > 0;
	bool machines_full = d->machines.present &&
	    (d->machines.kind == SEC_BLOCK || d->machines.kind == SEC_FLOW) &&
	    d->machines.n > 0;

	*v1 = !peers_full && machines_full;
	return *v1 ? &d->machines : &d->peers;
}

static const struct entry *
find_entry(const struct section *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].id && !strcmp(s->e[i].id, id))
			return &s->e[i];
	return NULL;
}

/* ---- lines ---------------------------------------------------------------- */

static size_t
line_start(const struct text *t, size_t pos)
{
	while (pos > 0 && t->s[pos - 1] != '\n')
		pos--;
	return pos;
}

/* The end of pos's line, past its line break; pos itself when it already
 * starts a line (a block scalar's end). */
static size_t
line_end(const struct text *t, size_t pos)
{
	if (pos == 0 || t->s[pos - 1] == '\n')
		return pos;
	while (pos < t->len && t->s[pos] != '\n')
		pos++;
	return pos < t->len ? pos + 1 : pos;
}

/* Past the last line of a peer (see the top of this file). */
static size_t
entry_extent(const struct text *t, const struct entry *e)
{
	size_t p = line_end(t, e->end);

	while (p < t->len) {
		size_t q = p;
		while (q < t->len && (t->s[q] == ' ' || t->s[q] == '\t'))
			q++;
		if (q >= t->len || t->s[q] != '#' || q - p <= e->key_col)
			break;
		p = line_end(t, q + 1);
	}
	return p;
}

/* ---- writing values ------------------------------------------------------- */

/* One UTF-8 sequence at s: its code point and length, or -1. */
static int
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	int n;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return -1;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return n;
}

static bool
valid_utf8(const char *s)
{
	uint32_t cp;

	while (*s) {
		int n = utf8_decode((const unsigned char *)s, &cp);
		if (n < 0)
			return false;
		s += n;
	}
	return true;
}

/* A plain scalar a YAML 1.1 or 1.2 reader would not take as a string. */
static bool
special_plain(const char *s)
{
	static const char *words[] = { "y", "n", "yes", "no", "true", "false", "on",
	    "off", "null", "~", "=" };
	static const char num[] =
	    "^[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*|"
	    "([0-9][0-9_]*)?\\.[0-9_]*([eE][-+]?[0-9]+)?|[0-9][0-9_]*[eE][-+]?[0-9]+|"
	    "\\.(inf|Inf|INF|nan|NaN|NAN))$";
	regex_t re;
	bool m = false;

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	if (regcomp(&re, num, REG_EXTENDED | REG_NOSUB) != 0)
		return true;		/* cannot tell: quote */
	m = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

static bool
plain_ok(const char *s)
{
	const char *p;

	if (*s == '\0')
		return false;
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._/~@+-", c)))
			return false;
	}
	if (strchr("@+-", s[0]))	/* indicators, or a number's sign */
		return false;
	return !special_plain(s);
}

static void
put_scalar(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	if (plain_ok(s)) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	while (*p) {
		int n = utf8_decode(p, &cp);	/* checked valid before */
		if (n < 0)
			n = 1, cp = 0xfffd;
		switch (cp) {
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		default:
			/* YAML's printable set; line breaks (NEL, LS, PS) and the
			 * BOM are escaped too, they would not read back as such. */
			if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0xa0) ||
			    cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
			    cp == 0xfffe || cp == 0xffff)
				buf_printf(b, cp <= 0xff ? "\\x%02X" : "\\u%04X", (unsigned)cp);
			else
				buf_append(b, p, (size_t)n);
		}
		p += n;
	}
	buf_putc(b, '"');
}

static void
spaces(struct buf *b, size_t n)
{
	while (n--)
		buf_putc(b, ' ');
}

/* ---- a peer as text ------------------------------------------------------- */

struct layout {
	size_t key_col, step, seq_off;
	const char *nl;
	bool v1;
	bool flow;
};

struct field {
	const char *key;
	const char *value;	/* NULL: not written */
	char num[16];
};

/* The fields written for p, in upstream's order (upstream-infra.md §1.7). */
static size_t
peer_fields(const struct peer_spec *p, bool v1, struct field *f)
{
	const char *transport = p->transport ? p->transport : "ssh";
	size_t n = 0;

#define FIELD(k, v) do { f[n].key = (k); f[n].value = (v); n++; } while (0)
#define NUM(k, v) do { f[n].key = (k); snprintf(f[n].num, sizeof f[n].num, "%d", (v)); \
	f[n].value = f[n].num; n++; } while (0)
	if (!v1)
		FIELD("transport", transport);
	FIELD(v1 ? "host" : "ssh_host", p->host);
	FIELD(v1 ? "user" : "ssh_user", p->user);
	FIELD("ssh_key", p->ssh_key);
	if (p->port != 0 && p->port != 22)
		NUM(v1 ? "port" : "ssh_port", p->port);
	if (v1 && !strcmp(transport, "local"))
		FIELD("localhost", "true");
	FIELD("proxy_jump", p->proxy_jump);
	FIELD("password", p->password);
	if (p->daemon_port != 0 && p->daemon_port != 9100)
		NUM("daemon_port", p->daemon_port);
	FIELD("node_path", p->node_path);
#undef FIELD
#undef NUM
	return n;
}

/* "true" and numbers are written as YAML wants them (unquoted). */
static void
put_value(struct buf *b, const struct field *f)
{
	if (f->value == f->num || !strcmp(f->key, "localhost"))
		buf_puts(b, f->value);
	else
		put_scalar(b, f->value);
}

static void
render_peer(struct buf *b, const struct peer_spec *p, const struct layout *L)
{
	struct field f[16];
	size_t n = peer_fields(p, L->v1, f), in = L->key_col + L->step;
	bool first = true;

	if (L->flow) {
		put_scalar(b, p->id);
		buf_puts(b, ": {");
		for (size_t i = 0; i < n; i++) {
			if (f[i].value == NULL)
				continue;
			buf_puts(b, first ? "" : ", ");
			first = false;
			buf_printf(b, "%s: ", f[i].key);
			put_value(b, &f[i]);
		}
		if (p->npaths) {
			buf_printf(b, "%sdefault_paths: [", first ? "" : ", ");
			for (size_t i = 0; i < p->npaths; i++) {
				buf_puts(b, i ? ", " : "");
				put_scalar(b, p->paths[i]);
			}
			buf_putc(b, ']');
		}
		buf_putc(b, '}');
		return;
	}
	spaces(b, L->key_col);
	put_scalar(b, p->id);
	buf_printf(b, ":%s", L->nl);
	for (size_t i = 0; i < n; i++) {
		if (f[i].value == NULL)
			continue;
		spaces(b, in);
		buf_printf(b, "%s: ", f[i].key);
		put_value(b, &f[i]);
		buf_puts(b, L->nl);
	}
	if (p->npaths) {
		spaces(b, in);
		buf_printf(b, "default_paths:%s", L->nl);
		for (size_t i = 0; i < p->npaths; i++) {
			spaces(b, in + L->seq_off);
			buf_puts(b, "- ");
			put_scalar(b, p->paths[i]);
			buf_puts(b, L->nl);
		}
	}
}

/* ---- the edits ------------------------------------------------------------ */

static size_t
file_step(const struct doc *d)
{
	return d->step > 0 ? (size_t)d->step : 2;
}

/* new = s[0, a) + ins + s[b, len): replace [a, b) with ins. */
static char *
text_replace(const struct text *t, size_t a, size_t b, const char *ins, size_t *outlen)
{
	struct buf o = {0};

	buf_append(&o, t->s, a);
	buf_puts(&o, ins);
	buf_append(&o, t->s + b, t->len - b);
	*outlen = o.len;
	return buf_steal(&o);
}

/* Drop an empty value (`{}`, `~`) and put the block below its line. */
static char *
fill_empty(const struct text *t, const struct doc *d, const struct section *s,
    const struct peer_spec *p, bool v1, size_t *outlen)
{
	struct layout L = { s->key_col + file_step(d), file_step(d), 0, t->nl, v1, false };
	struct buf o = {0}, blk = {0};
	size_t a = s->vstart, b = s->vend, ins;

	L.seq_off = d->seq_off >= 0 ? (size_t)d->seq_off : L.step;
	if (b > a)
		while (a > s->key_end && (t->s[a - 1] == ' ' || t->s[a - 1] == '\t'))
			a--;
	ins = line_end(t, b > s->key_end ? b : s->key_end);
	render_peer(&blk, p, &L);
	buf_append(&o, t->s, a);
	buf_append(&o, t->s + b, ins - b);
	if (ins == 0 || t->s[ins - 1] != '\n')
		buf_puts(&o, t->nl);
	buf_append(&o, blk.s, blk.len);
	buf_append(&o, t->s + ins, t->len - ins);
	buf_free(&blk);
	*outlen = o.len;
	return buf_steal(&o);
}

static char *
add_text(const char *path, const struct text *t, const struct doc *d,
    const struct peer_spec *p, size_t *outlen, char **errmsg)
{
	bool v1;
	struct section *s = target((struct doc *)d, &v1);
	struct buf blk = {0};
	char *out;

	if (d->root == ROOT_OTHER || (d->root == ROOT_NULL && !d->root_null_empty)) {
		*errmsg = xasprintf("%s: the top level is not a block mapping; edit it by hand",
		    path);
		return NULL;
	}
	if (s->present && s->kind == SEC_OTHER) {
		*errmsg = xasprintf("%s: %s: expected a mapping of peer names", path, s->name);
		return NULL;
	}
	if (s->present && find_entry(s, p->id)) {
		*errmsg = xasprintf("%s: %s.%s already exists", path, s->name, p->id);
		return NULL;
	}
	if (s->present && s->kind == SEC_BLOCK) {
		const struct entry *last = &s->e[s->n - 1];
		struct layout L = { s->e[0].key_col, 0, 0, t->nl, v1, false };
		size_t at = entry_extent(t, last);

		for (size_t i = 0; i < s->n && L.step == 0; i++)
			if (s->e[i].child_col > (long)s->e[i].key_col)
				L.step = (size_t)(s->e[i].child_col - (long)s->e[i].key_col);
		if (L.step == 0)
			L.step = s->e[0].key_col > s->key_col ?
			    s->e[0].key_col - s->key_col : file_step(d);
		L.seq_off = d->seq_off >= 0 ? (size_t)d->seq_off : L.step;
		if (at == t->len && t->len > 0 && t->s[t->len - 1] != '\n') {
			/* no final line break: the peer goes after one and
			 * goes without one */
			buf_puts(&blk, t->nl);
			render_peer(&blk, p, &L);
			blk.len -= strlen(t->nl);
			blk.s[blk.len] = '\0';
		} else
			render_peer(&blk, p, &L);
		out = text_replace(t, at, at, blk.s, outlen);
	} else if (s->present && s->kind == SEC_FLOW && s->n > 0) {
		struct layout L = { 0, 0, 0, t->nl, v1, true };
		size_t at = s->e[s->n - 1].end;

		buf_puts(&blk, ", ");
		render_peer(&blk, p, &L);
		out = text_replace(t, at, at, blk.s, outlen);
	} else if (s->present) {
		out = fill_empty(t, d, s, p, v1, outlen);
	} else {
		size_t step = file_step(d);
		struct layout L = { d->root_col + step, step, 0, t->nl, false, false };
		size_t at = d->doc_end;

		L.seq_off = d->seq_off >= 0 ? (size_t)d->seq_off : step;
		if (at > 0 && t->s[at - 1] != '\n')
			buf_puts(&blk, t->nl);
		spaces(&blk, d->root_col);
		buf_printf(&blk, "peers:%s", t->nl);
		render_peer(&blk, p, &L);
		out = text_replace(t, at, at, blk.s, outlen);
	}
	buf_free(&blk);
	return out;
}

static char *
remove_text(const char *path, const struct text *t, const struct doc *d,
    const char *id, size_t *outlen, char **errmsg)
{
	bool v1;
	const struct section *s = target((struct doc *)d, &v1);
	const struct entry *e = s->present ? find_entry(s, id) : NULL;
	size_t a, b;

	if (e == NULL) {
		*errmsg = xasprintf("%s: no peer named \"%s\" in %s:", path, id,
		    s->name);
		return NULL;
	}
	if (s->kind == SEC_BLOCK) {
		a = line_start(t, e->key_start);
		b = entry_extent(t, e);
		if (b == t->len && t->len > 0 && t->s[t->len - 1] != '\n' && a > 0) {
			/* the last line of a file without a final line
			 * break: its break goes too */
			a--;
			if (a > 0 && t->s[a - 1] == '\r')
				a--;
		}
	} else {
		size_t j = (size_t)(e - s->e);
		if (j + 1 < s->n) {
			a = e->key_start;
			b = s->e[j + 1].key_start;
		} else if (j > 0) {
			a = s->e[j - 1].end;
			b = e->end;
		} else {
			a = e->key_start;
			b = e->end;
		}
	}
	return text_replace(t, a, b, "", outlen);
}

/* ---- the file ------------------------------------------------------------- */

/* config_load's message names the temporary file: name the real one. */
static char *
rename_in_message(const char *msg, const char *tmp, const char *real)
{
	const char *at = strstr(msg, tmp);

	if (at == NULL)
		return xstrdup(msg);
	return xasprintf("%.*s%s%s", (int)(at - msg), msg, real, at + strlen(tmp));
}

static int
edit(const char *path, const char *id, const struct peer_spec *p, char **errmsg)
{
	char *real = NULL, *dir = NULL, *tmp = NULL, *out = NULL;
	struct text t = {0};
	struct doc d = {0};
	struct buf in = {0};
	struct stat st;
	bool exists = true;
	int dfd = -1, fd = -1, rc = -1;
	size_t outlen = 0;

	*errmsg = NULL;
	if ((real = realpath(path, NULL)) == NULL) {
		if (errno != ENOENT) {
			*errmsg = xasprintf("%s: %s", path, strerror(errno));
			return -1;
		}
		real = xstrdup(path);
		exists = false;
	}
	const char *slash = strrchr(real, '/');
	dir = slash ? xstrndup(real, slash == real ? 1 : (size_t)(slash - real)) :
	    xstrdup(".");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		*errmsg = xasprintf("%s: %s: %s", path, dir, strerror(errno));
		goto out;
	}
	if (flock(dfd, LOCK_EX) != 0) {
		*errmsg = xasprintf("%s: cannot lock %s: %s", path, dir, strerror(errno));
		goto out;
	}
	if (exists) {
		if (stat(real, &st) != 0 || read_file(real, CFGEDIT_MAX_SIZE, &in) != 0) {
			if (errno != ENOENT) {
				*errmsg = xasprintf("%s: %s", path, strerror(errno));
				goto out;
			}
			exists = false;
		} else if (!S_ISREG(st.st_mode)) {
			*errmsg = xasprintf("%s: not a regular file", path);
			goto out;
		}
	}
	if (!exists) {
		if (p == NULL) {
			*errmsg = xasprintf("%s: %s", path, strerror(ENOENT));
			goto out;
		}
		memset(&st, 0, sizeof st);
		st.st_mode = 0600;
		st.st_uid = geteuid();
		st.st_gid = getegid();
		buf_free(&in);
	}
	t.len = in.len;
	t.s = buf_steal(&in);
	if (t.len >= 2 && ((unsigned char)t.s[0] == 0xfe || (unsigned char)t.s[0] == 0xff ||
	    t.s[0] == '\0' || t.s[1] == '\0')) {
		*errmsg = xasprintf("%s: not UTF-8 text", path);
		goto out;
	}
	text_index(&t);
	if (read_doc(path, &t, &d, errmsg) != 0)
		goto out;
	out = p ? add_text(path, &t, &d, p, &outlen, errmsg) :
	    remove_text(path, &t, &d, id, &outlen, errmsg);
	if (out == NULL)
		goto out;

	const char *base = slash ? slash + 1 : real;
	tmp = xasprintf("%s/.%s.XXXXXX", dir, base);
	if ((fd = mkstemp(tmp)) < 0) {
		*errmsg = xasprintf("%s: cannot create a temporary file in %s: %s", path,
		    dir, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, st.st_mode & 07777) != 0 ||
	    ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(fd, st.st_uid, st.st_gid) != 0) ||
	    write_all(fd, out, outlen) != 0 || fsync(fd) != 0) {
		*errmsg = xasprintf("%s: writing %s: %s", path, tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		*errmsg = xasprintf("%s: writing %s: %s", path, tmp, strerror(errno));
		goto out;
	}
	fd = -1;

	/* The result must load, with the peer added or gone. */
	char *lerr = NULL;
	struct config *c = config_load(tmp, &lerr);
	if (c == NULL) {
		char *m = rename_in_message(lerr, tmp, path);
		*errmsg = xasprintf("%s: the edited file would not load, left unchanged: %s",
		    path, m);
		free(m);
		free(lerr);
		goto out;
	}
	bool has = config_peer(c, p ? p->id : id) != NULL;
	config_free(c);
	if (has != (p != NULL)) {
		*errmsg = xasprintf("%s: the edit did not %s peer \"%s\"; left unchanged",
		    path, p ? "add" : "remove", p ? p->id : id);
		goto out;
	}
	if (rename(tmp, real) != 0) {
		*errmsg = xasprintf("%s: cannot replace it: %s", path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	/* Durability of the rename; the edit itself is done either way. */
	(void)fsync(dfd);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	if (dfd >= 0)
		close(dfd);		/* and the lock with it */
	free(out);
	doc_free(&d);
	text_free(&t);
	buf_free(&in);
	free(dir);
	free(real);
	return rc;
}

static const char *
spec_invalid(const struct peer_spec *p)
{
	const char *s[] = { p->id, p->transport, p->host, p->user, p->ssh_key,
	    p->proxy_jump, p->node_path, p->password };

	if (p->id == NULL || *p->id == '\0')
		return "a peer needs a name";
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		if (s[i] && !valid_utf8(s[i]))
			return "a value is not valid UTF-8";
	for (size_t i = 0; i < p->npaths; i++)
		if (p->paths[i] == NULL || !valid_utf8(p->paths[i]))
			return "a path is not valid UTF-8";
	return NULL;
}

int
cfgedit_add_peer(const char *path, const struct peer_spec *p, char **errmsg)
{
	const char *why = spec_invalid(p);

	if (why) {
		*errmsg = xasprintf("%s: %s", path, why);
		return -1;
	}
	return edit(path, NULL, p, errmsg);
}

int
cfgedit_remove_peer(const char *path, const char *id, char **errmsg)
{
	return edit(path, id, NULL, errmsg);
}
