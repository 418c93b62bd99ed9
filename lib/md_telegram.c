/* md_telegram.c — mdwalk's tree as Telegram HTML.  See md_telegram.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "md_telegram.h"
#include "mdwalk.h"
#include "tgsplit.h"
#include "utf8.h"
#include "util.h"

struct rctx {
	struct buf out;
	int in_quote;		/* inside <blockquote> */
	int in_link;		/* inside <a> */
	int list_depth;
};

static void block(struct rctx *r, const struct mdw_node *n);
static void inl(struct rctx *r, const struct mdw_node *n);

static void
esc(struct buf *b, const char *s, size_t n)
{
	size_t i, from = 0;

	for (i = 0; i < n; i++) {
		const char *e;

		switch (s[i]) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		default: continue;
		}
		buf_append(b, s + from, i - from);
		buf_puts(b, e);
		from = i + 1;
	}
	buf_append(b, s + from, n - from);
}

/* Link targets Telegram takes in an <a href>. */
static bool
safe_href(const char *u)
{
	static const char *schemes[] = { "http://", "https://", "tg://", "mailto:" };
	size_t i;

	if (u == NULL)
		return false;
	for (i = 0; u[i]; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
			return false;
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(u, schemes[i], strlen(schemes[i])) == 0 &&
		    u[strlen(schemes[i])] != '\0')
			return true;
	return false;
}

static void
inlines(struct rctx *r, const struct mdw_node *n)
{
	const struct mdw_node *c;

	for (c = n->first; c; c = c->next)
		inl(r, c);
}

static void
wrap(struct rctx *r, const char *tag, const struct mdw_node *n)
{
	buf_printf(&r->out, "<%s>", tag);
	inlines(r, n);
	buf_printf(&r->out, "</%s>", tag);
}

static bool
has_visible(const struct mdw_node *n)
{
	struct buf b = { 0 };
	bool v;
	size_t i;

	mdw_plain(n, &b);
	for (i = 0, v = false; i < b.len && !v; i++)
		v = b.s[i] != ' ' && b.s[i] != '\n' && b.s[i] != '\t';
	buf_free(&b);
	return v;
}

static void
inl(struct rctx *r, const struct mdw_node *n)
{
	switch (n->kind) {
	case MDW_TEXT:
		esc(&r->out, n->text, n->len);
		break;
	case MDW_BR:
	case MDW_SOFTBR:
		buf_putc(&r->out, '\n');
		break;
	case MDW_EM:
		wrap(r, "i", n);
		break;
	case MDW_STRONG:
		wrap(r, "b", n);
		break;
	case MDW_DEL:
		wrap(r, "s", n);
		break;
	case MDW_U:
		wrap(r, "u", n);
		break;
	case MDW_CODE:
		if (n->len == 0)
			break;
		if (r->in_link) {
			esc(&r->out, n->text, n->len);
			break;
		}
		buf_puts(&r->out, "<code>");
		esc(&r->out, n->text, n->len);
		buf_puts(&r->out, "</code>");
		break;
	case MDW_LINK:
	case MDW_IMG:
		if (r->in_link || !safe_href(n->attr)) {
			inlines(r, n);
			break;
		}
		buf_puts(&r->out, "<a href=\"");
		esc(&r->out, n->attr, strlen(n->attr));
		buf_puts(&r->out, "\">");
		r->in_link++;
		if (has_visible(n))
			inlines(r, n);
		else
			esc(&r->out, n->attr, strlen(n->attr));
		r->in_link--;
		buf_puts(&r->out, "</a>");
		break;
	default:
		/* A block where a span was expected (a flattened tree). */
		block(r, n);
		break;
	}
}

static void
blocks(struct rctx *r, const struct mdw_node *first, const char *sep)
{
	const struct mdw_node *c;
	size_t before, after;
	bool any = false;

	for (c = first; c; c = c->next) {
		before = r->out.len;
		if (any)
			buf_puts(&r->out, sep);
		after = r->out.len;
		block(r, c);
		if (r->out.len == after) {	/* printed nothing: no separator */
			r->out.len = before;
			if (r->out.s)
				r->out.s[before] = '\0';
		} else
			any = true;
	}
}

/* Open <code class="language-x"> when lang is a plain word; true if so. */
static bool
code_lang(struct buf *b, const char *lang)
{
	size_t i;

	if (lang == NULL || lang[0] == '\0')
		return false;
	for (i = 0; lang[i] && i < 32; i++) {
		char ch = lang[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' ||
		    ch == '#' || ch == '.' || ch == '-'))
			return false;
	}
	if (lang[i] != '\0')
		return false;
	buf_printf(b, "<code class=\"language-%s\">", lang);
	return true;
}

static void
codeblock(struct rctx *r, const struct mdw_node *n)
{
	bool lang;

	if (n->len == 0)
		return;
	if (r->in_quote) {	/* no pre inside a blockquote */
		esc(&r->out, n->text, n->len);
		return;
	}
	buf_puts(&r->out, "<pre>");
	lang = code_lang(&r->out, n->attr);
	esc(&r->out, n->text, n->len);
	buf_puts(&r->out, lang ? "</code></pre>" : "</pre>");
}

/* One cell's text: plain, on one line. */
static char *
cell_text(const struct mdw_node *c, size_t *width)
{
	struct buf b = { 0 };
	size_t i;

	mdw_plain(c, &b);
	for (i = 0; i < b.len; i++)
		if (b.s[i] == '\n' || b.s[i] == '\t')
			b.s[i] = ' ';
	*width = mdw_cp_len(b.s ? b.s : "", b.len);
	return buf_steal(&b);
}

static void
pad(struct buf *b, size_t n)
{
	while (n-- > 0)
		buf_putc(b, ' ');
}

static void
table(struct rctx *r, const struct mdw_node *t)
{
	const struct mdw_node *row, *c;
	size_t ncols = 0, nrows = 0, i, j, *w;
	struct buf txt = { 0 };
	char ***cells;
	size_t **cw;
	char **align;
	bool head = false;

	for (row = t->first; row; row = row->next) {
		size_t k = 0;

		for (c = row->first; c; c = c->next)
			k++;
		if (k > ncols)
			ncols = k;
		nrows++;
	}
	if (nrows == 0 || ncols == 0)
		return;
	cells = xcalloc(nrows, sizeof(*cells));
	cw = xcalloc(nrows, sizeof(*cw));
	align = xcalloc(nrows, sizeof(*align));
	w = xcalloc(ncols, sizeof(*w));
	for (row = t->first, i = 0; row; row = row->next, i++) {
		cells[i] = xcalloc(ncols, sizeof(**cells));
		cw[i] = xcalloc(ncols, sizeof(**cw));
		align[i] = xcalloc(ncols, 1);
		for (c = row->first, j = 0; c; c = c->next, j++) {
			cells[i][j] = cell_text(c, &cw[i][j]);
			align[i][j] = c->align;
			if (cw[i][j] > w[j])
				w[j] = cw[i][j];
			if (i == 0 && c->kind == MDW_TH)
				head = true;
		}
	}
	for (i = 0; i < nrows; i++) {
		if (i > 0)
			buf_putc(&txt, '\n');
		for (j = 0; j < ncols; j++) {
			size_t gap = w[j] - cw[i][j], left = 0;

			if (j > 0)
				buf_puts(&txt, " | ");
			if (align[i][j] == 'r')
				left = gap;
			else if (align[i][j] == 'c')
				left = gap / 2;
			pad(&txt, left);
			if (cells[i][j])
				buf_puts(&txt, cells[i][j]);
			if (j + 1 < ncols)
				pad(&txt, gap - left);
		}
		/* No trailing blanks on a row. */
		while (txt.len > 0 && txt.s[txt.len - 1] == ' ')
			txt.s[--txt.len] = '\0';
		if (i == 0 && head) {
			buf_putc(&txt, '\n');
			for (j = 0; j < ncols; j++) {
				if (j > 0)
					buf_puts(&txt, "-+-");
				for (size_t k = 0; k < w[j]; k++)
					buf_putc(&txt, '-');
			}
		}
	}
	if (!r->in_quote)
		buf_puts(&r->out, "<pre>");
	esc(&r->out, txt.s ? txt.s : "", txt.len);
	if (!r->in_quote)
		buf_puts(&r->out, "</pre>");
	for (i = 0; i < nrows; i++) {
		for (j = 0; j < ncols; j++)
			free(cells[i][j]);
		free(cells[i]);
		free(cw[i]);
		free(align[i]);
	}
	free(cells);
	free(cw);
	free(align);
	free(w);
	buf_free(&txt);
}

static bool
is_inline(const struct mdw_node *n)
{
	return n->kind >= MDW_EM;
}

/* A list item: its text (a tight item holds spans, a loose one
 * paragraphs) and any nested blocks, one per line. */
static void
item(struct rctx *r, const struct mdw_node *li)
{
	const struct mdw_node *c;
	size_t mark = r->out.len;

	for (c = li->first; c; c = c->next) {
		if (is_inline(c)) {
			inl(r, c);
			continue;
		}
		if (r->out.len > mark)
			buf_putc(&r->out, '\n');
		block(r, c);
	}
}

static void
list(struct rctx *r, const struct mdw_node *l)
{
	const struct mdw_node *li;
	long num = l->level;
	int k;

	for (li = l->first; li; li = li->next) {
		if (li != l->first)
			buf_puts(&r->out, l->tight ? "\n" : "\n\n");
		for (k = 0; k < r->list_depth; k++)
			buf_puts(&r->out, "  ");
		if (l->kind == MDW_OL)
			buf_printf(&r->out, "%ld. ", num++);
		else
			buf_puts(&r->out, "• ");
		if (li->task == 1)
			buf_puts(&r->out, "☐ ");
		else if (li->task == 2)
			buf_puts(&r->out, "☑ ");
		r->list_depth++;
		if (li->kind == MDW_LI)
			item(r, li);
		else
			block(r, li);
		r->list_depth--;
	}
}

static void
block(struct rctx *r, const struct mdw_node *n)
{
	switch (n->kind) {
	case MDW_DOC:
		blocks(r, n->first, "\n\n");
		break;
	case MDW_PARA:
	case MDW_LI:
	case MDW_TR:
	case MDW_TH:
	case MDW_TD:
		inlines(r, n);
		break;
	case MDW_HEADING:
		buf_puts(&r->out, "<b>");
		inlines(r, n);
		buf_puts(&r->out, "</b>");
		break;
	case MDW_QUOTE:
		if (r->in_quote) {
			blocks(r, n->first, "\n");
			break;
		}
		if (!has_visible(n))
			break;
		r->in_quote++;
		buf_puts(&r->out, "<blockquote>");
		blocks(r, n->first, "\n");
		buf_puts(&r->out, "</blockquote>");
		r->in_quote--;
		break;
	case MDW_UL:
	case MDW_OL:
		list(r, n);
		break;
	case MDW_CODEBLOCK:
		codeblock(r, n);
		break;
	case MDW_HR:
		buf_puts(&r->out, "──────────");
		break;
	case MDW_TABLE:
		table(r, n);
		break;
	default:
		inl(r, n);
		break;
	}
}

char *
md_telegram(const char *md, size_t len)
{
	struct mdw_node *doc = mdw_parse(md, len);
	struct rctx r = { 0 };

	block(&r, doc);
	mdw_free(doc);
	return buf_steal(&r.out);
}

size_t
md_telegram_chunks(const char *md, size_t len, size_t max, char ***chunks)
{
	char *html = md_telegram(md, len);
	size_t n = tg_split(html, max, chunks);

	free(html);
	return n;
}


char *
tg_html_plain(const char *html)
{
	struct buf b = { 0 };
	const char *p = html, *q;

	while (*p) {
		if (*p == '<' && (q = strchr(p, '>')) != NULL) {
			p = q + 1;
			continue;
		}
		if (*p == '&' && (q = strchr(p, ';')) != NULL && q - p <= 10) {
			if (strncmp(p, "&lt;", 4) == 0)
				buf_putc(&b, '<');
			else if (strncmp(p, "&gt;", 4) == 0)
				buf_putc(&b, '>');
			else if (strncmp(p, "&amp;", 5) == 0)
				buf_putc(&b, '&');
			else if (strncmp(p, "&quot;", 6) == 0)
				buf_putc(&b, '"');
			else if (p[1] == '#') {
				unsigned long c = p[2] == 'x' || p[2] == 'X' ?
				    strtoul(p + 3, NULL, 16) : strtoul(p + 2, NULL, 10);

				utf8_put(&b, c > 0x10FFFF ? 0xFFFD : (uint32_t)c);
			} else {
				buf_append(&b, p, (size_t)(q - p) + 1);
			}
			p = q + 1;
			continue;
		}
		buf_putc(&b, *p++);
	}
	return buf_steal(&b);
}
