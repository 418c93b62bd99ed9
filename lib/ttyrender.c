/* ttyrender.c — Markdown to terminal text.  See ttyrender.h. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "mdwalk.h"
#include "ttyrender.h"
#include "utf8.h"
#include "util.h"

#define SGR_RESET	"\033[0m"

struct r {
	struct buf out;		/* the block being written */
	bool color;
	const char *sgr[MDW_MAX_DEPTH + 8];	/* attributes in force */
	int nsgr;
};

static void block(struct r *r, const struct mdw_node *n, struct buf *out);

/* ---- spans ---------------------------------------------------------------- */

static void
sgr_apply(struct r *r, struct buf *out)
{
	for (int i = 0; i < r->nsgr; i++)
		buf_puts(out, r->sgr[i]);
}

/* A line break inside spans: attributes end with the line and start
 * again on the next, so each line stands alone. */
static void
newline(struct r *r, struct buf *out)
{
	if (r->color && r->nsgr > 0)
		buf_puts(out, SGR_RESET);
	buf_putc(out, '\n');
	if (r->color)
		sgr_apply(r, out);
}

static void
text(struct r *r, const char *s, size_t n, struct buf *out)
{
	const char *nl;

	while (n > 0 && (nl = memchr(s, '\n', n)) != NULL) {
		utf8_append_valid(out, s, (size_t)(nl - s));
		newline(r, out);
		n -= (size_t)(nl - s) + 1;
		s = nl + 1;
	}
	/* control characters other than tab would drive the terminal */
	while (n > 0) {
		size_t i = 0;

		while (i < n && !(((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f))
			i++;
		utf8_append_valid(out, s, i);
		if (i == n)
			break;
		buf_putc(out, '?');
		s += i + 1;
		n -= i + 1;
	}
}

static void spans(struct r *r, const struct mdw_node *n, struct buf *out);

static void
styled(struct r *r, const char *sgr, const struct mdw_node *n, struct buf *out)
{
	if (!r->color || r->nsgr >= (int)(sizeof(r->sgr) / sizeof(r->sgr[0]))) {
		spans(r, n, out);
		return;
	}
	r->sgr[r->nsgr++] = sgr;
	buf_puts(out, sgr);
	spans(r, n, out);
	r->nsgr--;
	buf_puts(out, SGR_RESET);
	sgr_apply(r, out);
}

static void
span(struct r *r, const struct mdw_node *n, struct buf *out)
{
	struct buf t = { 0 };

	switch (n->kind) {
	case MDW_TEXT:
		text(r, n->text, n->len, out);
		break;
	case MDW_BR:
	case MDW_SOFTBR:
		newline(r, out);
		break;
	case MDW_STRONG:
		styled(r, "\033[1m", n, out);
		break;
	case MDW_EM:
		styled(r, "\033[3m", n, out);
		break;
	case MDW_DEL:
		styled(r, "\033[9m", n, out);
		break;
	case MDW_U:
		styled(r, "\033[4m", n, out);
		break;
	case MDW_CODE:
		if (r->color) {
			buf_puts(out, "\033[36m");
			text(r, n->text, n->len, out);
			buf_puts(out, SGR_RESET);
			sgr_apply(r, out);
		} else {
			buf_putc(out, '`');
			text(r, n->text, n->len, out);
			buf_putc(out, '`');
		}
		break;
	case MDW_LINK:
		mdw_plain(n, &t);
		if (r->color)
			styled(r, "\033[4m", n, out);
		else
			spans(r, n, out);
		if (n->attr && *n->attr && strcmp(n->attr, t.s ? t.s : "") != 0) {
			buf_puts(out, " <");
			text(r, n->attr, strlen(n->attr), out);
			buf_putc(out, '>');
		}
		break;
	case MDW_IMG:
		mdw_plain(n, &t);
		buf_puts(out, "[image");
		if (t.len) {
			buf_puts(out, ": ");
			text(r, t.s, t.len, out);
		}
		buf_putc(out, ']');
		if (n->attr && *n->attr) {
			buf_puts(out, " <");
			text(r, n->attr, strlen(n->attr), out);
			buf_putc(out, '>');
		}
		break;
	default:
		/* a block where a span was expected (flattened nesting) */
		block(r, n, out);
		break;
	}
	buf_free(&t);
}

static void
spans(struct r *r, const struct mdw_node *n, struct buf *out)
{
	for (const struct mdw_node *c = n->first; c; c = c->next)
		span(r, c, out);
}

/* ---- blocks --------------------------------------------------------------- */

/* Append in to out with first before its first line and rest before the
 * others (the prefixes' own attributes: dim bars). */
static void
prefixed(struct r *r, const struct buf *in, const char *first, const char *rest,
    struct buf *out)
{
	const char *s = in->s ? in->s : "", *e = s + in->len;
	bool at_first = true;

	while (s < e) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s);
		const char *p = at_first ? first : rest;

		if (r->color && strchr(p, '\342')) {	/* a bar: dim it */
			buf_puts(out, "\033[2m");
			buf_puts(out, p);
			buf_puts(out, SGR_RESET);
		} else
			buf_puts(out, p);
		buf_append(out, s, n);
		buf_putc(out, '\n');
		at_first = false;
		s += n + (nl ? 1 : 0);
	}
}

static void
ensure_nl(struct buf *b)
{
	if (b->len > 0 && b->s[b->len - 1] != '\n')
		buf_putc(b, '\n');
}

static bool
is_block(const struct mdw_node *n)
{
	return n->kind <= MDW_TD;
}

/* n's children: blocks one after the other (a blank line between them when
 * loose), runs of spans (a tight list item's text) as one paragraph. */
static void
children(struct r *r, const struct mdw_node *n, struct buf *out, bool loose)
{
	for (const struct mdw_node *c = n->first; c; c = c->next) {
		if (c != n->first && loose && is_block(c))
			buf_putc(out, '\n');
		if (is_block(c)) {
			block(r, c, out);
			continue;
		}
		while (c && !is_block(c)) {
			span(r, c, out);
			if (c->next == NULL || is_block(c->next))
				break;
			c = c->next;
		}
		ensure_nl(out);
	}
}

static void
code_block(struct r *r, const struct mdw_node *n, struct buf *out)
{
	struct buf t = { 0 };
	const char *s = n->text ? n->text : "", *e = s + n->len;

	if (r->color) {
		if (n->attr && *n->attr) {
			buf_puts(out, "\033[2m  \342\224\214 ");
			text(r, n->attr, strlen(n->attr), out);
			buf_puts(out, SGR_RESET "\n");
		}
		while (s <= e) {
			const char *nl = memchr(s, '\n', (size_t)(e - s));
			size_t len = nl ? (size_t)(nl - s) : (size_t)(e - s);

			buf_puts(out, "\033[2m  \342\224\202" SGR_RESET " \033[36m");
			buf_clear(&t);
			text(r, s, len, &t);
			buf_append(out, t.s, t.len);
			buf_puts(out, SGR_RESET "\n");
			if (nl == NULL)
				break;
			s = nl + 1;
		}
	} else {
		while (s <= e) {
			const char *nl = memchr(s, '\n', (size_t)(e - s));
			size_t len = nl ? (size_t)(nl - s) : (size_t)(e - s);

			buf_puts(out, "    ");
			text(r, s, len, out);
			buf_putc(out, '\n');
			if (nl == NULL)
				break;
			s = nl + 1;
		}
	}
	buf_free(&t);
}

static void
list(struct r *r, const struct mdw_node *n, struct buf *out)
{
	int num = n->kind == MDW_OL ? n->level : 0;

	for (const struct mdw_node *li = n->first; li; li = li->next) {
		struct buf item = { 0 };
		char *mark;
		size_t w;
		char *rest;

		if (li != n->first && !n->tight)
			buf_putc(out, '\n');
		children(r, li, &item, !n->tight);
		if (n->kind == MDW_OL)
			mark = xasprintf("%d. ", num++);
		else
			mark = xstrdup(r->color ? "\342\200\242 " : "- ");
		w = tty_width(mark, strlen(mark));
		rest = xmalloc(w + 1);
		memset(rest, ' ', w);
		rest[w] = '\0';
		if (li->task) {
			char *m2 = xasprintf("%s%s", mark, li->task == 2 ? "[x] " : "[ ] ");

			free(mark);
			mark = m2;
		}
		if (item.len == 0)
			buf_putc(&item, '\n');
		prefixed(r, &item, mark, rest, out);
		free(mark);
		free(rest);
		buf_free(&item);
	}
}

static void
table(struct r *r, const struct mdw_node *n, struct buf *out)
{
	for (const struct mdw_node *tr = n->first; tr; tr = tr->next) {
		if (tr->kind != MDW_TR)
			continue;
		for (const struct mdw_node *c = tr->first; c; c = c->next) {
			if (c != tr->first)
				buf_puts(out, r->color ? " \342\224\202 " : " | ");
			if (c->kind == MDW_TH)
				styled(r, "\033[1m", c, out);
			else
				spans(r, c, out);
		}
		buf_putc(out, '\n');
	}
}

static void
block(struct r *r, const struct mdw_node *n, struct buf *out)
{
	struct buf in = { 0 };

	switch (n->kind) {
	case MDW_DOC:
		children(r, n, out, true);
		break;
	case MDW_PARA:
		spans(r, n, out);
		buf_putc(out, '\n');
		break;
	case MDW_HEADING:
		if (r->color)
			styled(r, "\033[1m", n, out);
		else
			spans(r, n, out);
		buf_putc(out, '\n');
		break;
	case MDW_QUOTE:
		children(r, n, &in, true);
		prefixed(r, &in, r->color ? "\342\224\203 " : "> ",
		    r->color ? "\342\224\203 " : "> ", out);
		break;
	case MDW_UL:
	case MDW_OL:
		list(r, n, out);
		break;
	case MDW_CODEBLOCK:
		code_block(r, n, out);
		break;
	case MDW_HR:
		buf_puts(out, r->color ? "\033[2m\342\224\200\342\224\200\342\224\200"
		    "\342\224\200\342\224\200\342\224\200\342\224\200\342\224\200" SGR_RESET "\n" :
		    "--------\n");
		break;
	case MDW_TABLE:
		table(r, n, out);
		break;
	case MDW_LI:
		children(r, n, out, false);
		break;
	default:
		/* spans at block level (flattened nesting) */
		span(r, n, out);
		ensure_nl(out);
		break;
	}
	ensure_nl(out);
	buf_free(&in);
}

char *
tty_render(const char *md, size_t len, int flags)
{
	struct mdw_node *doc = mdw_parse(md, len);
	struct r r = { .color = (flags & TTYR_COLOR) != 0 };
	struct buf out = { 0 };

	block(&r, doc, &out);
	mdw_free(doc);
	/* no blank lines at the end */
	while (out.len >= 2 && out.s[out.len - 1] == '\n' && out.s[out.len - 2] == '\n')
		out.s[--out.len] = '\0';
	if (out.len == 1 && out.s[0] == '\n')
		out.len = 0, out.s[0] = '\0';
	return buf_steal(&out);
}

/* ---- measuring ------------------------------------------------------------ */

size_t
tty_width(const char *s, size_t n)
{
	size_t i = 0, w = 0;

	while (i < n) {
		uint32_t cp;
		size_t k;
		int cw;

		if (s[i] == '\033') {		/* CSI ... final byte */
			i++;
			if (i < n && s[i] == '[') {
				i++;
				while (i < n && !((unsigned char)s[i] >= 0x40 &&
				    (unsigned char)s[i] <= 0x7e))
					i++;
				if (i < n)
					i++;
			}
			continue;
		}
		if (s[i] == '\t') {
			w += 8 - w % 8;
			i++;
			continue;
		}
		k = utf8_decode(s + i, n - i, &cp);
		i += k;
		if (cp == UTF8_BAD) {
			w++;
			continue;
		}
		cw = wcwidth((wchar_t)cp);
		if (cw < 0)
			cw = cp < 0x20 ? 0 : 1;
		w += (size_t)cw;
	}
	return w;
}

size_t
tty_rows(const char *s, size_t n, size_t cols)
{
	size_t rows = 0;
	const char *e = s + n;

	if (cols == 0)
		cols = 80;
	while (s < e) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(e - s);
		size_t w = tty_width(s, len);

		rows += w == 0 ? 1 : (w + cols - 1) / cols;
		s += len + (nl ? 1 : 0);
	}
	return rows;
}
