/* mdwalk.c — md4c's callbacks turned into a tree.  See mdwalk.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <md4c.h>

#include "mdwalk.h"
#include "utf8.h"
#include "util.h"

struct walk {
	const char *base, *end;	/* the text md4c reads */
	struct mdw_node *root, *cur;
	int depth;		/* nodes below the root on the path to cur */
	/* One entry per open md4c block or span: 1 when it made a node,
	 * 0 when it did not (too deep, or a kind with no node). */
	char *made;
	size_t nmade, capmade;
};

static void
push_made(struct walk *w, char m)
{
	if (w->nmade == w->capmade) {
		w->capmade = w->capmade ? 2 * w->capmade : 64;
		w->made = xrealloc(w->made, w->capmade);
	}
	w->made[w->nmade++] = m;
}

static struct mdw_node *
node_new(enum mdw_kind k)
{
	struct mdw_node *n = xcalloc(1, sizeof(*n));

	n->kind = k;
	return n;
}

static void
node_add(struct mdw_node *parent, struct mdw_node *n)
{
	n->parent = parent;
	if (parent->last)
		parent->last->next = n;
	else
		parent->first = n;
	parent->last = n;
}

void
mdw_free(struct mdw_node *n)
{
	while (n) {
		struct mdw_node *next = n->next;

		mdw_free(n->first);
		free(n->text);
		free(n->attr);
		free(n);
		n = next;
	}
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t k, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		k = 2, c = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		k = 3, c = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		k = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	if ((k == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
	    (k == 4 && (c < 0x10000 || c > 0x10FFFF)))
		return 0;
	*cp = c;
	return k;
}

size_t
mdw_utf16_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, units = 0, k;
	uint32_t c;

	while (i < n) {
		k = utf8_seq(p + i, n - i, &c);
		if (k == 0) {
			units++;
			i++;
			continue;
		}
		units += c >= 0x10000 ? 2 : 1;
		i += k;
	}
	return units;
}

size_t
mdw_cp_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, cps = 0, k;
	uint32_t c;

	while (i < n) {
		k = utf8_seq(p + i, n - i, &c);
		i += k ? k : 1;
		cps++;
	}
	return cps;
}

/* Invalid UTF-8 and NUL bytes in text become U+FFFD, so renderers see
 * only valid text and C strings hold all of it. */
static void
put_text(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	uint32_t c;

	while (i < n) {
		k = utf8_seq(p + i, n - i, &c);
		if (k == 0 || c == 0) {	/* invalid, or a NUL */
			utf8_put(b, 0xFFFD);
			i += k ? k : 1;
		} else {
			buf_append(b, s + i, k);
			i += k;
		}
	}
}

/* ---- entities ------------------------------------------------------------ */

static const struct {
	const char *name;
	uint32_t cp;
} named[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", 0xA0 }, { "copy", 0xA9 }, { "reg", 0xAE },
	{ "trade", 0x2122 }, { "hellip", 0x2026 }, { "mdash", 0x2014 },
	{ "ndash", 0x2013 }, { "laquo", 0xAB }, { "raquo", 0xBB },
	{ "ldquo", 0x201C }, { "rdquo", 0x201D }, { "lsquo", 0x2018 },
	{ "rsquo", 0x2019 }, { "bull", 0x2022 }, { "middot", 0xB7 },
	{ "times", 0xD7 }, { "divide", 0xF7 }, { "deg", 0xB0 },
	{ "euro", 0x20AC }, { "pound", 0xA3 }, { "yen", 0xA5 }, { "cent", 0xA2 },
	{ "sect", 0xA7 }, { "para", 0xB6 }, { "plusmn", 0xB1 },
	{ "larr", 0x2190 }, { "rarr", 0x2192 }, { "uarr", 0x2191 },
	{ "darr", 0x2193 }, { "harr", 0x2194 }, { "hearts", 0x2665 },
};

/* e[0..n) is "&...;" as md4c reports it. */
static void
put_entity(struct buf *b, const char *e, size_t n)
{
	uint32_t c = 0;
	size_t i;

	if (n >= 4 && e[1] == '#') {
		bool hex = e[2] == 'x' || e[2] == 'X';

		for (i = hex ? 3 : 2; i < n - 1; i++) {
			int d;

			if (e[i] >= '0' && e[i] <= '9')
				d = e[i] - '0';
			else if (hex && e[i] >= 'a' && e[i] <= 'f')
				d = e[i] - 'a' + 10;
			else if (hex && e[i] >= 'A' && e[i] <= 'F')
				d = e[i] - 'A' + 10;
			else
				break;
			c = c * (hex ? 16 : 10) + (uint32_t)d;
			if (c > 0x10FFFF)
				c = 0x110000;	/* stays out of range */
		}
		utf8_put(b, c);
		return;
	}
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (n == strlen(named[i].name) + 2 &&
		    memcmp(e + 1, named[i].name, n - 2) == 0) {
			utf8_put(b, named[i].cp);
			return;
		}
	put_text(b, e, n);
}

static char *
attr_text(const MD_ATTRIBUTE *a)
{
	struct buf b = { 0 };
	unsigned i;

	if (a->text == NULL || a->size == 0)
		return NULL;
	for (i = 0; a->substr_offsets[i] < a->size; i++) {
		const char *s = a->text + a->substr_offsets[i];
		size_t n = a->substr_offsets[i + 1] - a->substr_offsets[i];

		if (a->substr_types[i] == MD_TEXT_ENTITY)
			put_entity(&b, s, n);
		else if (a->substr_types[i] == MD_TEXT_NULLCHAR)
			utf8_put(&b, 0xFFFD);
		else
			put_text(&b, s, n);
	}
	return buf_steal(&b);
}

/* ---- callbacks ------------------------------------------------------------ */

static int
enter(struct walk *w, enum mdw_kind k, struct mdw_node **out)
{
	struct mdw_node *n;

	*out = NULL;
	if (w->depth >= MDW_MAX_DEPTH) {
		push_made(w, 0);
		return 0;
	}
	push_made(w, 1);
	n = node_new(k);
	node_add(w->cur, n);
	w->cur = n;
	w->depth++;
	*out = n;
	return 0;
}

static int
leave(struct walk *w)
{
	if (w->nmade == 0 || w->made[--w->nmade] == 0)
		return 0;
	if (w->cur->kind == MDW_CODEBLOCK && w->cur->len > 0 &&
	    w->cur->text[w->cur->len - 1] == '\n')
		w->cur->text[--w->cur->len] = '\0';
	if (w->cur != w->root) {
		w->cur = w->cur->parent;
		w->depth--;
	}
	return 0;
}

static int
enter_block(MD_BLOCKTYPE type, void *detail, void *arg)
{
	struct walk *w = arg;
	struct mdw_node *n;
	static const enum mdw_kind kinds[] = {
		[MD_BLOCK_DOC] = MDW_DOC, [MD_BLOCK_QUOTE] = MDW_QUOTE,
		[MD_BLOCK_UL] = MDW_UL, [MD_BLOCK_OL] = MDW_OL,
		[MD_BLOCK_LI] = MDW_LI, [MD_BLOCK_HR] = MDW_HR,
		[MD_BLOCK_H] = MDW_HEADING, [MD_BLOCK_CODE] = MDW_CODEBLOCK,
		[MD_BLOCK_HTML] = MDW_PARA, [MD_BLOCK_P] = MDW_PARA,
		[MD_BLOCK_TABLE] = MDW_TABLE, [MD_BLOCK_THEAD] = MDW_DOC,
		[MD_BLOCK_TBODY] = MDW_DOC, [MD_BLOCK_TR] = MDW_TR,
		[MD_BLOCK_TH] = MDW_TH, [MD_BLOCK_TD] = MDW_TD,
	};

	/* The document itself and a table's head/body groups make no node. */
	if (type == MD_BLOCK_DOC)
		return 0;
	if (type == MD_BLOCK_THEAD || type == MD_BLOCK_TBODY) {
		push_made(w, 0);
		return 0;
	}
	if ((unsigned)type >= sizeof(kinds) / sizeof(kinds[0]))
		type = MD_BLOCK_P;
	enter(w, kinds[type], &n);
	if (n == NULL)
		return 0;
	switch (type) {
	case MD_BLOCK_H:
		n->level = (int)((MD_BLOCK_H_DETAIL *)detail)->level;
		break;
	case MD_BLOCK_OL:
		n->level = (int)((MD_BLOCK_OL_DETAIL *)detail)->start;
		n->tight = ((MD_BLOCK_OL_DETAIL *)detail)->is_tight;
		break;
	case MD_BLOCK_UL:
		n->tight = ((MD_BLOCK_UL_DETAIL *)detail)->is_tight;
		break;
	case MD_BLOCK_LI: {
		MD_BLOCK_LI_DETAIL *d = detail;

		if (d->is_task)
			n->task = d->task_mark == ' ' ? 1 : 2;
		break;
	}
	case MD_BLOCK_CODE: {
		MD_BLOCK_CODE_DETAIL *d = detail;

		n->attr = attr_text(&d->lang);
		n->text = xstrdup("");
		n->cap_ = 1;
		break;
	}
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		switch (((MD_BLOCK_TD_DETAIL *)detail)->align) {
		case MD_ALIGN_LEFT: n->align = 'l'; break;
		case MD_ALIGN_CENTER: n->align = 'c'; break;
		case MD_ALIGN_RIGHT: n->align = 'r'; break;
		default: break;
		}
		break;
	default:
		break;
	}
	return 0;
}

static int
leave_block(MD_BLOCKTYPE type, void *detail, void *arg)
{
	(void)detail;
	if (type == MD_BLOCK_DOC)
		return 0;
	return leave(arg);
}

static int
enter_span(MD_SPANTYPE type, void *detail, void *arg)
{
	struct walk *w = arg;
	struct mdw_node *n;
	enum mdw_kind k;

	switch (type) {
	case MD_SPAN_EM: k = MDW_EM; break;
	case MD_SPAN_STRONG: k = MDW_STRONG; break;
	case MD_SPAN_DEL: k = MDW_DEL; break;
	case MD_SPAN_U: k = MDW_U; break;
	case MD_SPAN_CODE: k = MDW_CODE; break;
	case MD_SPAN_A: k = MDW_LINK; break;
	case MD_SPAN_IMG: k = MDW_IMG; break;
	default:
		push_made(w, 0);	/* math, wiki links: their text only */
		return 0;
	}
	/* Nothing nests inside inline code. */
	if (w->cur->kind == MDW_CODE || w->cur->kind == MDW_CODEBLOCK) {
		push_made(w, 0);
		return 0;
	}
	enter(w, k, &n);
	if (n == NULL)
		return 0;
	if (k == MDW_CODE) {
		n->text = xstrdup("");
		n->cap_ = 1;
	}
	else if (k == MDW_LINK)
		n->attr = attr_text(&((MD_SPAN_A_DETAIL *)detail)->href);
	else if (k == MDW_IMG)
		n->attr = attr_text(&((MD_SPAN_IMG_DETAIL *)detail)->src);
	return 0;
}

static int
leave_span(MD_SPANTYPE type, void *detail, void *arg)
{
	(void)type;
	(void)detail;
	return leave(arg);
}

/* Append to the node's own text (code) or to a trailing text child. */
static void
text_append(struct walk *w, MD_TEXTTYPE type, const char *s, size_t n)
{
	struct mdw_node *c = w->cur, *t;
	struct buf b = { 0 };

	if (c->kind == MDW_CODE || c->kind == MDW_CODEBLOCK) {
		b.s = c->text;
		b.len = c->len;
		b.cap = c->cap_;
	} else if (type == MD_TEXT_BR || type == MD_TEXT_SOFTBR) {
		node_add(c, node_new(type == MD_TEXT_BR ? MDW_BR : MDW_SOFTBR));
		return;
	} else {
		t = c->last;
		if (t == NULL || t->kind != MDW_TEXT) {
			t = node_new(MDW_TEXT);
			t->text = xstrdup("");
			t->cap_ = 1;
			node_add(c, t);
		}
		c = t;
		b.s = c->text;
		b.len = c->len;
		b.cap = c->cap_;
	}
	switch (type) {
	case MD_TEXT_NULLCHAR:
		utf8_put(&b, 0xFFFD);
		break;
	case MD_TEXT_ENTITY:
		put_entity(&b, s, n);
		break;
	case MD_TEXT_BR:
	case MD_TEXT_SOFTBR:
		buf_putc(&b, c->kind == MDW_CODEBLOCK ? '\n' : ' ');
		break;
	default:
		put_text(&b, s, n);
		break;
	}
	c->text = b.s;
	c->len = b.len;
	c->cap_ = b.cap;
}

static int
text_cb(MD_TEXTTYPE type, const MD_CHAR *s, MD_SIZE n, void *arg)
{
	struct walk *w = arg;
	size_t len = n;

	/* md4c 0.4.8 was seen (fuzzing) handing out a span one byte past
	 * the end of its input: the input is padded with NULs so that read
	 * is harmless, and the span is cut back to the text here. */
	if (s >= w->base && s <= w->end && len > (size_t)(w->end - s))
		len = (size_t)(w->end - s);
	text_append(w, type, s, len);
	return 0;
}

struct mdw_node *
mdw_parse(const char *md, size_t len)
{
	struct walk w = { 0 };
	MD_PARSER p = { 0 };
	char *copy;

	copy = xcalloc(1, len + 16);	/* see text_cb */
	if (len)
		memcpy(copy, md, len);
	w.base = copy;
	w.end = copy + len;
	w.root = w.cur = node_new(MDW_DOC);
	p.abi_version = 0;
	/* No permissive autolinks: Telegram links bare URLs itself. */
	p.flags = MD_FLAG_NOHTML | MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH |
	    MD_FLAG_TASKLISTS;
	p.enter_block = enter_block;
	p.leave_block = leave_block;
	p.enter_span = enter_span;
	p.leave_span = leave_span;
	p.text = text_cb;
	if (len > 0x7fffffff || md_parse(copy, (MD_SIZE)len, &p, &w) != 0) {
		/* Only on allocation failure inside md4c: keep the text. */
		mdw_free(w.root);
		w.root = node_new(MDW_DOC);
		w.cur = node_new(MDW_PARA);
		node_add(w.root, w.cur);
		text_append(&w, MD_TEXT_NORMAL, md, len);
	}
	free(w.made);
	free(copy);
	return w.root;
}

void
mdw_plain(const struct mdw_node *n, struct buf *out)
{
	const struct mdw_node *c;

	switch (n->kind) {
	case MDW_TEXT:
	case MDW_CODE:
	case MDW_CODEBLOCK:
		buf_append(out, n->text, n->len);
		return;
	case MDW_BR:
		buf_putc(out, '\n');
		return;
	case MDW_SOFTBR:
		buf_putc(out, ' ');
		return;
	default:
		break;
	}
	for (c = n->first; c; c = c->next)
		mdw_plain(c, out);
}
