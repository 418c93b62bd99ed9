/* lark_md.c — Markdown as Lark cards and posts.  See lark_md.h. */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "lark_event.h"
#include "lark_md.h"
#include "mdwalk.h"
#include "msgsplit.h"
#include "util.h"

static bool
safe_href(const char *u)
{
	static const char *schemes[] = { "http://", "https://", "mailto:" };

	if (u == NULL)
		return false;
	for (size_t i = 0; u[i]; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
			return false;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(u, schemes[i], strlen(schemes[i])) == 0 &&
		    u[strlen(schemes[i])] != '\0')
			return true;
	return false;
}

static bool
is_inline(const struct mdw_node *n)
{
	return n->kind >= MDW_EM;
}

static bool
has_visible(const struct mdw_node *n)
{
	struct buf b = { 0 };
	bool vis;

	mdw_plain(n, &b);
	vis = b.s && b.s[strspn(b.s, " \t\r\n")] != '\0';
	buf_free(&b);
	return vis;
}

/* A table as lines of cells joined by " | ". */
static void
table_text(const struct mdw_node *t, struct buf *out)
{
	for (const struct mdw_node *row = t->first; row; row = row->next) {
		bool first = true;

		if (row != t->first)
			buf_putc(out, '\n');
		for (const struct mdw_node *c = row->first; c; c = c->next) {
			struct buf cell = { 0 };

			mdw_plain(c, &cell);
			for (size_t i = 0; i < cell.len; i++)
				if (cell.s[i] == '\n' || cell.s[i] == '\t')
					cell.s[i] = ' ';
			if (!first)
				buf_puts(out, " | ");
			if (cell.s)
				buf_puts(out, cell.s);
			buf_free(&cell);
			first = false;
		}
	}
}

/* ---- card markdown ------------------------------------------------------------- */

struct cctx {
	json_t *elements;
	struct buf md;		/* the markdown element being written */
	int depth;		/* list nesting */
	int in_link;
};

static void cblock(struct cctx *r, struct buf *o, const struct mdw_node *n);

static void
cesc(struct buf *b, const char *s, size_t n)
{
	size_t from = 0;

	for (size_t i = 0; i < n; i++) {
		const char *e;

		switch (s[i]) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '*': e = "&#42;"; break;
		case '~': e = "&#126;"; break;
		default: continue;
		}
		buf_append(b, s + from, i - from);
		buf_puts(b, e);
		from = i + 1;
	}
	buf_append(b, s + from, n - from);
}

/* The longest run of backticks in s[0..n). */
static size_t
max_ticks(const char *s, size_t n)
{
	size_t best = 0, run = 0;

	for (size_t i = 0; i < n; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

static void cinlines(struct cctx *r, struct buf *o, const struct mdw_node *n);

/* The spans from first up to (not including) stop. */
static void
cspans(struct cctx *r, struct buf *o, const struct mdw_node *first,
    const struct mdw_node *stop)
{
	for (const struct mdw_node *c = first; c != stop; c = c->next) {
		switch (c->kind) {
		case MDW_TEXT:
			cesc(o, c->text, c->len);
			break;
		case MDW_BR:
		case MDW_SOFTBR:
			buf_putc(o, '\n');
			break;
		case MDW_EM:
			buf_putc(o, '*');
			cinlines(r, o, c);
			buf_putc(o, '*');
			break;
		case MDW_STRONG:
			buf_puts(o, "**");
			cinlines(r, o, c);
			buf_puts(o, "**");
			break;
		case MDW_DEL:
			buf_puts(o, "~~");
			cinlines(r, o, c);
			buf_puts(o, "~~");
			break;
		case MDW_U:
			cinlines(r, o, c);
			break;
		case MDW_CODE: {
			size_t t = max_ticks(c->text, c->len) + 1;

			if (c->len == 0)
				break;
			for (size_t i = 0; i < t; i++)
				buf_putc(o, '`');
			if (c->text[0] == '`')
				buf_putc(o, ' ');
			buf_append(o, c->text, c->len);
			if (c->text[c->len - 1] == '`')
				buf_putc(o, ' ');
			for (size_t i = 0; i < t; i++)
				buf_putc(o, '`');
			break;
		}
		case MDW_LINK:
		case MDW_IMG:
			if (r->in_link || !safe_href(c->attr)) {
				cinlines(r, o, c);
				break;
			}
			buf_putc(o, '[');
			r->in_link++;
			if (has_visible(c))
				cinlines(r, o, c);
			else
				cesc(o, c->attr, strlen(c->attr));
			r->in_link--;
			buf_puts(o, "](");
			for (const char *u = c->attr; *u; u++)
				if (*u == '(' || *u == ')')
					buf_printf(o, "%%%02X", (unsigned char)*u);
				else
					buf_putc(o, *u);
			buf_putc(o, ')');
			break;
		default:
			cblock(r, o, c);
			break;
		}
	}
}

static void
cinlines(struct cctx *r, struct buf *o, const struct mdw_node *n)
{
	cspans(r, o, n->first, NULL);
}

static void
cfence(struct buf *o, const char *lang, const char *text, size_t len)
{
	size_t t = max_ticks(text, len) + 1;

	if (t < 3)
		t = 3;
	for (size_t i = 0; i < t; i++)
		buf_putc(o, '`');
	if (lang && strspn(lang, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_+#.-") == strlen(lang))
		buf_puts(o, lang);
	buf_putc(o, '\n');
	buf_append(o, text, len);
	buf_putc(o, '\n');
	for (size_t i = 0; i < t; i++)
		buf_putc(o, '`');
}

/* Each line of s after the first prefixed with pre (the first with first). */
static void
prefixed(struct buf *o, const char *first, const char *pre, const char *s, size_t n)
{
	buf_puts(o, first);
	for (size_t i = 0; i < n; i++) {
		buf_putc(o, s[i]);
		if (s[i] == '\n')
			buf_puts(o, pre);
	}
}

static void
cblocks(struct cctx *r, struct buf *o, const struct mdw_node *first, const char *sep)
{
	for (const struct mdw_node *c = first; c; c = c->next) {
		size_t before = o->len;

		if (before > 0 && o->s[before - 1] != '\n')
			buf_puts(o, sep);
		else if (before > 0 && strcmp(sep, "\n\n") == 0 &&
		    !(before > 1 && o->s[before - 2] == '\n'))
			buf_putc(o, '\n');
		cblock(r, o, c);
	}
}

static void
citem(struct cctx *r, struct buf *o, const struct mdw_node *li)
{
	for (const struct mdw_node *c = li->first; c; c = c->next) {
		if (is_inline(c)) {
			const struct mdw_node *from = c;

			/* A run of spans: one paragraph. */
			while (c->next && is_inline(c->next))
				c = c->next;
			cspans(r, o, from, c->next);
			continue;
		}
		if (o->len && o->s[o->len - 1] != '\n')
			buf_putc(o, '\n');
		cblock(r, o, c);
	}
}

static void
cblock(struct cctx *r, struct buf *o, const struct mdw_node *n)
{
	switch (n->kind) {
	case MDW_DOC:
		cblocks(r, o, n->first, "\n\n");
		break;
	case MDW_PARA:
	case MDW_LI:
	case MDW_TR:
	case MDW_TH:
	case MDW_TD:
		cinlines(r, o, n);
		break;
	case MDW_HEADING:
		buf_puts(o, "**");
		cinlines(r, o, n);
		buf_puts(o, "**");
		break;
	case MDW_QUOTE: {
		struct buf q = { 0 };

		cblocks(r, &q, n->first, "\n");
		prefixed(o, "> ", "> ", q.s ? q.s : "", q.len);
		buf_free(&q);
		break;
	}
	case MDW_UL:
	case MDW_OL: {
		long num = n->level;

		for (const struct mdw_node *li = n->first; li; li = li->next) {
			struct buf it = { 0 };
			char *mark, *pad;

			if (li != n->first)
				buf_putc(o, '\n');
			r->depth++;
			if (li->kind == MDW_LI)
				citem(r, &it, li);
			else
				cblock(r, &it, li);
			r->depth--;
			mark = n->kind == MDW_OL ? xasprintf("%ld. ", num++) :
			    xstrdup("- ");
			if (li->task)
				mark = (free(mark), xasprintf("%s%s", n->kind == MDW_OL ?
				    "" : "- ", li->task == 2 ? "☑ " : "☐ "));
			pad = xasprintf("%*s", (int)strlen(n->kind == MDW_OL ? "1. " : "- "),
			    "");
			prefixed(o, mark, pad, it.s ? it.s : "", it.len);
			free(mark);
			free(pad);
			buf_free(&it);
		}
		break;
	}
	case MDW_CODEBLOCK:
		cfence(o, n->attr, n->text ? n->text : "", n->len);
		break;
	case MDW_HR:
		if (o != &r->md) {	/* inside a list or quote */
			buf_puts(o, "———");
			break;
		}
		/* A rule ends the markdown element: an hr element follows. */
		while (r->md.len && r->md.s[r->md.len - 1] == '\n')
			r->md.s[--r->md.len] = '\0';
		if (r->md.len)
			json_array_append_new(r->elements, json_pack("{s:s, s:s}", "tag",
			    "markdown", "content", r->md.s));
		buf_clear(&r->md);
		json_array_append_new(r->elements, json_pack("{s:s}", "tag", "hr"));
		break;
	case MDW_TABLE: {
		struct buf t = { 0 };

		table_text(n, &t);
		cfence(o, NULL, t.s ? t.s : "", t.len);
		buf_free(&t);
		break;
	}
	default:
		cinlines(r, o, n);
		break;
	}
}

static json_t *
card_config(void)
{
	return json_pack("{s:b, s:b}", "wide_screen_mode", 1, "update_multi", 1);
}

/* The card's elements for md (an empty array when nothing shows). */
static json_t *
card_elements(const char *md)
{
	struct mdw_node *doc = mdw_parse(md, strlen(md));
	struct cctx r = { 0 };
	json_t *els;

	r.elements = json_array();
	cblock(&r, &r.md, doc);
	mdw_free(doc);
	while (r.md.len && strchr("\n ", r.md.s[r.md.len - 1]))
		r.md.s[--r.md.len] = '\0';
	if (r.md.len)
		json_array_append_new(r.elements, json_pack("{s:s, s:s}", "tag", "markdown",
		    "content", r.md.s));
	buf_free(&r.md);
	els = r.elements;
	/* Rules at the ends show nothing of their own. */
	while (json_array_size(els) && strcmp(json_string_value(json_object_get(
	    json_array_get(els, 0), "tag")), "hr") == 0)
		json_array_remove(els, 0);
	while (json_array_size(els) && strcmp(json_string_value(json_object_get(
	    json_array_get(els, json_array_size(els) - 1), "tag")), "hr") == 0)
		json_array_remove(els, json_array_size(els) - 1);
	return els;
}

static char *
dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (s == NULL)
		errx(1, "json_dumps failed");
	return s;
}

char *
lark_md_card(const char *md)
{
	return dump(json_pack("{s:o, s:o}", "config", card_config(), "elements",
	    card_elements(md)));
}

/* ---- post ------------------------------------------------------------------ */

struct pctx {
	json_t *rows, *row;
	int bold, italic, strike, under;
	struct buf lead;	/* written at the start of every row */
	char *mark;		/* a list item's marker, for its first row */
};

static void pblock(struct pctx *r, const struct mdw_node *n);

static void
pstart(struct pctx *r)
{
	if (json_array_size(r->row) > 0)
		return;
	if (r->lead.len || r->mark) {
		char *s = xasprintf("%s%s", r->lead.s ? r->lead.s : "", r->mark ? r->mark : "");

		json_array_append_new(r->row, json_pack("{s:s, s:s}", "tag", "text", "text",
		    s));
		free(s);
		if (r->mark) {	/* the next rows are indented as far */
			size_t w = mdw_cp_len(r->mark, strlen(r->mark));

			free(r->mark);
			r->mark = NULL;
			for (size_t i = 0; i < w; i++)
				buf_putc(&r->lead, ' ');
		}
	}
}

static void
pnewline(struct pctx *r)
{
	json_array_append(r->rows, r->row);
	json_decref(r->row);
	r->row = json_array();
}

/* End the current row if it has anything. */
static void
pendrow(struct pctx *r)
{
	if (json_array_size(r->row) > 0)
		pnewline(r);
}

static json_t *
pstyle(struct pctx *r)
{
	json_t *st = json_array();

	if (r->bold)
		json_array_append_new(st, json_string("bold"));
	if (r->italic)
		json_array_append_new(st, json_string("italic"));
	if (r->strike)
		json_array_append_new(st, json_string("lineThrough"));
	if (r->under)
		json_array_append_new(st, json_string("underline"));
	return st;
}

static void
ptext(struct pctx *r, const char *s, size_t n)
{
	while (n > 0) {
		size_t k = strcspn(s, "\n");
		json_t *el;
		char *t;

		if (k > n)
			k = n;
		if (k > 0) {
			pstart(r);
			t = xstrndup(s, k);
			el = json_pack("{s:s, s:s}", "tag", "text", "text", t);
			free(t);
			if (el == NULL)		/* not UTF-8 */
				el = json_pack("{s:s, s:s}", "tag", "text", "text", "\xEF\xBF\xBD");
			if (r->bold || r->italic || r->strike || r->under)
				json_object_set_new(el, "style", pstyle(r));
			json_array_append_new(r->row, el);
		}
		if (k < n) {
			pstart(r);
			pnewline(r);
			k++;
		}
		s += k;
		n -= k;
	}
}

static void pinlines(struct pctx *r, const struct mdw_node *n);

/* The spans from first up to (not including) stop. */
static void
pspans(struct pctx *r, const struct mdw_node *first, const struct mdw_node *stop)
{
	for (const struct mdw_node *c = first; c != stop; c = c->next) {
		switch (c->kind) {
		case MDW_TEXT:
			ptext(r, c->text, c->len);
			break;
		case MDW_BR:
		case MDW_SOFTBR:
			ptext(r, "\n", 1);
			break;
		case MDW_EM:
			r->italic++;
			pinlines(r, c);
			r->italic--;
			break;
		case MDW_STRONG:
			r->bold++;
			pinlines(r, c);
			r->bold--;
			break;
		case MDW_DEL:
			r->strike++;
			pinlines(r, c);
			r->strike--;
			break;
		case MDW_U:
			r->under++;
			pinlines(r, c);
			r->under--;
			break;
		case MDW_CODE: {
			char *s = xasprintf("`%.*s`", (int)c->len, c->text ? c->text : "");

			ptext(r, s, strlen(s));
			free(s);
			break;
		}
		case MDW_LINK:
		case MDW_IMG: {
			struct buf t = { 0 };
			json_t *el;

			if (!safe_href(c->attr)) {
				pinlines(r, c);
				break;
			}
			mdw_plain(c, &t);
			for (size_t i = 0; i < t.len; i++)
				if (t.s[i] == '\n')
					t.s[i] = ' ';
			pstart(r);
			el = json_pack("{s:s, s:s, s:s}", "tag", "a", "text",
			    t.len ? t.s : c->attr, "href", c->attr);
			if (el) {
				if (r->bold || r->italic || r->strike || r->under)
					json_object_set_new(el, "style", pstyle(r));
				json_array_append_new(r->row, el);
			}
			buf_free(&t);
			break;
		}
		default:
			pblock(r, c);
			break;
		}
	}
}

static void
pinlines(struct pctx *r, const struct mdw_node *n)
{
	pspans(r, n->first, NULL);
}

static void
pblocks(struct pctx *r, const struct mdw_node *first, bool gap)
{
	for (const struct mdw_node *c = first; c; c = c->next) {
		if (c != first && gap)
			pnewline(r);	/* an empty row between blocks */
		pblock(r, c);
	}
}

static void
prow_alone(struct pctx *r, json_t *el)
{
	pendrow(r);
	if (el)
		json_array_append_new(r->row, el);
	pnewline(r);
}

static void
pblock(struct pctx *r, const struct mdw_node *n)
{
	switch (n->kind) {
	case MDW_DOC:
		pblocks(r, n->first, true);
		break;
	case MDW_PARA:
	case MDW_TR:
	case MDW_TH:
	case MDW_TD:
		pinlines(r, n);
		pendrow(r);
		break;
	case MDW_HEADING:
		r->bold++;
		pinlines(r, n);
		r->bold--;
		pendrow(r);
		break;
	case MDW_QUOTE: {
		size_t keep = r->lead.len;

		buf_puts(&r->lead, "┃ ");
		pblocks(r, n->first, false);
		r->lead.len = keep;
		if (r->lead.s)
			r->lead.s[keep] = '\0';
		break;
	}
	case MDW_UL:
	case MDW_OL: {
		long num = n->level;

		for (const struct mdw_node *li = n->first; li; li = li->next) {
			size_t keep = r->lead.len;

			free(r->mark);
			r->mark = n->kind == MDW_OL ? xasprintf("%ld. ", num++) :
			    xstrdup("• ");
			if (li->task) {
				char *m = xasprintf("%s%s", r->mark, li->task == 2 ? "☑ " : "☐ ");

				free(r->mark);
				r->mark = m;
			}
			for (const struct mdw_node *c = li->first; c; c = c->next) {
				if (is_inline(c)) {
					const struct mdw_node *from = c;

					while (c->next && is_inline(c->next))
						c = c->next;
					pspans(r, from, c->next);
					pendrow(r);
					continue;
				}
				pblock(r, c);
			}
			if (r->mark) {	/* an empty item */
				pstart(r);
				pendrow(r);
			}
			r->lead.len = keep;
			if (r->lead.s)
				r->lead.s[keep] = '\0';
		}
		break;
	}
	case MDW_CODEBLOCK: {
		json_t *el = json_pack("{s:s, s:s}", "tag", "code_block", "text",
		    n->text ? n->text : "");

		if (el && n->attr && *n->attr)
			json_object_set_new(el, "language", json_string(n->attr));
		prow_alone(r, el);
		break;
	}
	case MDW_HR:
		prow_alone(r, json_pack("{s:s}", "tag", "hr"));
		break;
	case MDW_TABLE: {
		struct buf t = { 0 };

		table_text(n, &t);
		pendrow(r);
		ptext(r, t.s ? t.s : "", t.len);
		pendrow(r);
		buf_free(&t);
		break;
	}
	default:
		pinlines(r, n);
		break;
	}
}

char *
lark_md_post(const char *md)
{
	struct mdw_node *doc = mdw_parse(md, strlen(md));
	struct pctx r = { 0 };

	r.rows = json_array();
	r.row = json_array();
	pblock(&r, doc);
	mdw_free(doc);
	pendrow(&r);
	json_decref(r.row);
	free(r.mark);
	buf_free(&r.lead);
	/* No empty rows at the ends. */
	while (json_array_size(r.rows) && json_array_size(json_array_get(r.rows, 0)) == 0)
		json_array_remove(r.rows, 0);
	while (json_array_size(r.rows) && json_array_size(json_array_get(r.rows,
	    json_array_size(r.rows) - 1)) == 0)
		json_array_remove(r.rows, json_array_size(r.rows) - 1);
	return dump(json_pack("{s:{s:s, s:o}}", "zh_cn", "title", "", "content", r.rows));
}

/* ---- splitting --------------------------------------------------------------- */

static bool
shows_nothing(const char *content, bool card)
{
	json_t *j = json_loads(content, 0, NULL);
	bool empty;

	if (card)
		empty = json_array_size(json_object_get(j, "elements")) == 0;
	else
		empty = json_array_size(json_object_get(json_object_get(j, "zh_cn"),
		    "content")) == 0;
	json_decref(j);
	return empty;
}

static void
push(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(char *));
	(*v)[(*n)++] = s;
}

static void
split_into(const char *md, bool card, size_t limit, int depth, char ***v, size_t *n)
{
	char *s = card ? lark_md_card(md) : lark_md_post(md);
	size_t len = strlen(s), units, max;
	struct chunks parts = { 0 };

	if (len <= limit) {
		if (shows_nothing(s, card))
			free(s);
		else
			push(v, n, s);
		return;
	}
	free(s);
	units = text_units(md, strlen(md));
	/* The share of the text that should fit, with a margin. */
	max = (size_t)((double)units * (double)limit / (double)len * 0.9);
	if (max >= units)
		max = units - 1;
	if (max < 1)
		max = 1;
	if (depth > 24) {	/* cannot happen: every cut shrinks the text */
		size_t cut = text_prefix(md, strlen(md), max);
		char *head = xstrndup(md, cut);

		s = card ? lark_md_card(head) : lark_md_post(head);
		free(head);
		if (strlen(s) <= limit)
			push(v, n, s);
		else
			free(s);
		if (md[cut])
			split_into(md + cut, card, limit, depth, v, n);
		return;
	}
	msg_split_fenced(md, max, &parts);
	for (size_t i = 0; i < parts.n; i++)
		split_into(parts.v[i], card, limit, depth + 1, v, n);
	chunks_free(&parts);
}

size_t
lark_md_chunks(const char *md, bool card, size_t limit, char ***chunks)
{
	size_t n = 0;

	*chunks = NULL;
	split_into(md ? md : "", card, limit, 0, chunks, &n);
	if (n == 0)
		*chunks = xcalloc(1, sizeof(char *));
	return n;
}

/* ---- questions ------------------------------------------------------------- */

static bool
chosen_has(json_t *chosen, const char *v)
{
	json_t *x;
	size_t i;

	json_array_foreach(chosen, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), v) == 0)
			return true;
	return false;
}

static json_t *
button(const char *label, json_t *value, const char *type)
{
	char *cut = xstrndup(label, utf8_cut(label, strlen(label) > 300 ? 300 :
	    strlen(label)));
	json_t *b = json_pack("{s:s, s:{s:s, s:s}, s:s, s:o}", "tag", "button", "text",
	    "tag", "plain_text", "content", cut, "type", type, "value", value);

	free(cut);
	return b;
}

char *
lark_ask_card(const char *md, json_t *options, bool multi, const char *ref,
    json_t *chosen, const char *answered)
{
	json_t *els, *actions, *o;
	size_t i;

	if (!json_is_array(options) || json_array_size(options) == 0)
		return NULL;
	json_array_foreach(options, i, o)
		if (!json_is_string(json_object_get(o, "label")) ||
		    !json_is_string(json_object_get(o, "value")))
			return NULL;
	els = card_elements(md && *md ? md : "Choose:");
	if (answered) {
		struct buf b = { 0 };

		buf_puts(&b, "✓ ");
		cesc(&b, answered, strlen(answered));
		json_array_append_new(els, json_pack("{s:s, s:s}", "tag", "markdown",
		    "content", b.s));
		buf_free(&b);
	} else {
		if (multi)
			json_array_append_new(els, json_pack("{s:s, s:s}", "tag", "markdown",
			    "content", "*(choose one or more, then Done)*"));
		actions = json_array();
		json_array_foreach(options, i, o) {
			const char *label = json_string_value(json_object_get(o, "label"));
			const char *value = json_string_value(json_object_get(o, "value"));
			bool on = multi && chosen_has(chosen, value);
			char *l = on ? xasprintf("✓ %s", label) : xstrdup(label);
			json_t *b = button(l, lark_button_value(ref, value),
			    on ? "primary" : "default");

			free(l);
			if (b)
				json_array_append_new(actions, b);
		}
		if (multi)
			json_array_append_new(actions, button("Done", lark_button_value(ref,
			    NULL), "primary"));
		json_array_append_new(els, json_pack("{s:s, s:o}", "tag", "action",
		    "actions", actions));
	}
	return dump(json_pack("{s:o, s:o}", "config", card_config(), "elements", els));
}

char *
lark_ask_labels(json_t *options, const char *values)
{
	struct buf b = { 0 };
	char *vs = xstrdup(values ? values : ""), *save = NULL;

	for (char *v = strtok_r(vs, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
		const char *label = v;
		json_t *o;
		size_t i;

		json_array_foreach(options, i, o)
			if (json_is_string(json_object_get(o, "value")) &&
			    strcmp(json_string_value(json_object_get(o, "value")), v) == 0 &&
			    json_is_string(json_object_get(o, "label")))
				label = json_string_value(json_object_get(o, "label"));
		if (b.len)
			buf_puts(&b, ", ");
		buf_puts(&b, label);
	}
	free(vs);
	return b.s ? buf_steal(&b) : xstrdup("");
}
