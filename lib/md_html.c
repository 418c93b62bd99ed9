/* md_html.c — Markdown to an HTML fragment for a browser, and escaping.
 * See md_html.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "md_html.h"
#include "mdwalk.h"
#include "utf8.h"

void
html_escape(struct buf *out, const char *s, size_t n)
{
	size_t i = 0, run = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;

		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: break;
		}
		if (rep == NULL && c >= 0x80) {
			uint32_t cp;
			size_t k = utf8_decode(s + i, n - i, &cp);

			if (cp != UTF8_BAD) {
				i += k;
				run += k;
				continue;
			}
			rep = UTF8_REPLACEMENT;
			utf8_append_valid(out, s + i - run, run);
			run = 0;
			buf_puts(out, rep);
			i += k;
			continue;
		}
		if (rep == NULL && c == 0)
			rep = UTF8_REPLACEMENT;
		if (rep == NULL) {
			i++;
			run++;
			continue;
		}
		buf_append(out, s + i - run, run);
		run = 0;
		buf_puts(out, rep);
		i++;
	}
	buf_append(out, s + i - run, run);
}

void
html_escape_str(struct buf *out, const char *s)
{
	if (s)
		html_escape(out, s, strlen(s));
}

static bool
safe_href(const char *u)
{
	static const char *schemes[] = { "http://", "https://", "mailto:" };
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

struct rctx {
	struct buf *out;
	int in_link;
};

static void node(struct rctx *r, const struct mdw_node *n);

static void
children(struct rctx *r, const struct mdw_node *n)
{
	const struct mdw_node *c;

	for (c = n->first; c; c = c->next)
		node(r, c);
}

static void
wrap(struct rctx *r, const struct mdw_node *n, const char *tag)
{
	buf_printf(r->out, "<%s>", tag);
	children(r, n);
	buf_printf(r->out, "</%s>", tag);
}

static void
cell(struct rctx *r, const struct mdw_node *n, const char *tag)
{
	/* A class, not a style attribute: the page's CSP allows no inline
	 * style. */
	if (n->align == 'c' || n->align == 'r')
		buf_printf(r->out, "<%s class=\"al-%c\">", tag, n->align);
	else
		buf_printf(r->out, "<%s>", tag);
	children(r, n);
	buf_printf(r->out, "</%s>", tag);
}

static void
link(struct rctx *r, const struct mdw_node *n)
{
	bool has_text = false;
	const struct mdw_node *c;

	if (r->in_link || !safe_href(n->attr)) {
		children(r, n);
		return;
	}
	for (c = n->first; c; c = c->next)
		if (c->kind != MDW_TEXT || c->len > 0)
			has_text = true;
	buf_puts(r->out, "<a href=\"");
	html_escape_str(r->out, n->attr);
	buf_puts(r->out, "\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">");
	r->in_link++;
	if (n->kind == MDW_IMG)
		buf_puts(r->out, "[image: ");
	if (has_text)
		children(r, n);
	else
		html_escape_str(r->out, n->attr);
	if (n->kind == MDW_IMG)
		buf_puts(r->out, "]");
	r->in_link--;
	buf_puts(r->out, "</a>");
}

static void
node(struct rctx *r, const struct mdw_node *n)
{
	switch (n->kind) {
	case MDW_DOC:
		children(r, n);
		break;
	case MDW_PARA:
		wrap(r, n, "p");
		break;
	case MDW_HEADING: {
		char tag[3] = { 'h', (char)('0' + (n->level + 2 > 6 ? 6 : n->level + 2)), 0 };

		wrap(r, n, tag);
		break;
	}
	case MDW_QUOTE:
		wrap(r, n, "blockquote");
		break;
	case MDW_UL:
		wrap(r, n, "ul");
		break;
	case MDW_OL:
		if (n->level != 1)
			buf_printf(r->out, "<ol start=\"%d\">", n->level);
		else
			buf_puts(r->out, "<ol>");
		children(r, n);
		buf_puts(r->out, "</ol>");
		break;
	case MDW_LI:
		buf_puts(r->out, "<li>");
		if (n->task)
			buf_puts(r->out, n->task == 2 ?
			    "<input type=\"checkbox\" disabled checked> " :
			    "<input type=\"checkbox\" disabled> ");
		children(r, n);
		buf_puts(r->out, "</li>");
		break;
	case MDW_CODEBLOCK:
		buf_puts(r->out, "<pre><code");
		if (n->attr && *n->attr) {
			buf_puts(r->out, " class=\"language-");
			html_escape_str(r->out, n->attr);
			buf_putc(r->out, '"');
		}
		buf_putc(r->out, '>');
		html_escape(r->out, n->text, n->len);
		buf_puts(r->out, "</code></pre>");
		break;
	case MDW_HR:
		buf_puts(r->out, "<hr>");
		break;
	case MDW_TABLE:
		wrap(r, n, "table");
		break;
	case MDW_TR:
		wrap(r, n, "tr");
		break;
	case MDW_TH:
		cell(r, n, "th");
		break;
	case MDW_TD:
		cell(r, n, "td");
		break;
	case MDW_EM:
		wrap(r, n, "em");
		break;
	case MDW_STRONG:
		wrap(r, n, "strong");
		break;
	case MDW_DEL:
		wrap(r, n, "del");
		break;
	case MDW_U:
		wrap(r, n, "u");
		break;
	case MDW_CODE:
		buf_puts(r->out, "<code>");
		html_escape(r->out, n->text, n->len);
		buf_puts(r->out, "</code>");
		break;
	case MDW_LINK:
	case MDW_IMG:
		link(r, n);
		break;
	case MDW_TEXT:
		html_escape(r->out, n->text, n->len);
		break;
	case MDW_BR:
		buf_puts(r->out, "<br>");
		break;
	case MDW_SOFTBR:
		/* A chat's newline is a line break. */
		buf_puts(r->out, "<br>");
		break;
	}
}

void
md_html(const char *md, size_t len, struct buf *out)
{
	struct mdw_node *root = mdw_parse(md, len);
	struct rctx r = { out, 0 };

	node(&r, root);
	mdw_free(root);
	if (out->s == NULL)
		buf_puts(out, "");
}
