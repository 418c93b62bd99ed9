/* tgsplit.c — Telegram HTML cut into messages.  See tgsplit.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tgsplit.h"
#include "util.h"

/* One token of the input: a tag (units 0) or one visible character (a
 * UTF-8 sequence or an entity). */
struct tok {
	size_t len;
	unsigned units;
	bool tag, close;
	size_t name, namelen;	/* tag name: offset from the token, length */
};

static size_t
utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80)
		return 2;
	if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80)
		return 3;
	if ((s[0] & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 &&
	    (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80)
		return 4;
	return 1;
}

static void
next_tok(const char *s, struct tok *t)
{
	const char *e;

	memset(t, 0, sizeof(*t));
	if (s[0] == '<' && (e = strchr(s, '>')) != NULL) {
		size_t i = 1;

		t->tag = true;
		t->len = (size_t)(e - s) + 1;
		if (s[1] == '/') {
			t->close = true;
			i = 2;
		}
		t->name = i;
		while (i < t->len - 1 && s[i] != ' ' && s[i] != '>')
			i++;
		t->namelen = i - t->name;
		return;
	}
	if (s[0] == '&' && (e = strchr(s, ';')) != NULL && e - s <= 12) {
		t->len = (size_t)(e - s) + 1;
		t->units = 1;
		return;
	}
	t->len = utf8_len((const unsigned char *)s);
	t->units = t->len == 4 ? 2 : 1;
}

/* The stack of open tags: offsets of their opening tags in the input. */
struct stack {
	size_t *at, *len;
	size_t n, cap;
};

static void
push(struct stack *st, size_t at, size_t len)
{
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 16;
		st->at = xreallocarray(st->at, st->cap, sizeof(*st->at));
		st->len = xreallocarray(st->len, st->cap, sizeof(*st->len));
	}
	st->at[st->n] = at;
	st->len[st->n++] = len;
}

static void
apply(struct stack *st, const struct tok *t, size_t at)
{
	if (!t->tag)
		return;
	if (t->close) {
		if (st->n > 0)
			st->n--;
	} else
		push(st, at, t->len);
}

static void
copy_stack(struct stack *dst, const struct stack *src)
{
	dst->n = 0;
	for (size_t i = 0; i < src->n; i++)
		push(dst, src->at[i], src->len[i]);
}

static void
close_all(const char *html, const struct stack *st, struct buf *b)
{
	for (size_t i = st->n; i-- > 0;) {
		struct tok t;

		next_tok(html + st->at[i], &t);
		buf_puts(b, "</");
		buf_append(b, html + st->at[i] + t.name, t.namelen);
		buf_putc(b, '>');
	}
}

static bool
blank_chunk(const char *s)
{
	struct tok t;

	while (*s) {
		next_tok(s, &t);
		if (!t.tag && !(t.len == 1 && (*s == ' ' || *s == '\n' ||
		    *s == '\t' || *s == '\r')))
			return false;
		s += t.len;
	}
	return true;
}

size_t
tg_split(const char *html, size_t max, char ***out)
{
	struct stack st = { 0 }, at_cut = { 0 };
	size_t len = strlen(html), pos = 0, n = 0, cap = 0;
	char **v = NULL;

	if (max < 2)
		max = 2;
	while (pos < len) {
		size_t p = pos, units = 0, cut, nl2 = 0, nl = 0, sp = 0;
		size_t u_nl2 = 0, u_nl = 0, u_sp = 0;
		char prev = 0;
		struct buf b = { 0 };
		struct tok t;

		/* How far max units reach from here. */
		while (p < len) {
			next_tok(html + p, &t);
			if (!t.tag) {
				if (units + t.units > max)
					break;
				units += t.units;
			}
			p += t.len;
			if (t.tag)
				continue;
			if (html[p - 1] == '\n' && t.len == 1) {
				if (prev == '\n')
					nl2 = p, u_nl2 = units;
				nl = p, u_nl = units;
			} else if (html[p - 1] == ' ' && t.len == 1)
				sp = p, u_sp = units;
			prev = t.len == 1 ? html[p - 1] : 0;
		}
		if (p >= len)
			cut = len;
		else if (nl2 && u_nl2 * 10 > max * 3)
			cut = nl2;
		else if (nl && u_nl * 10 > max * 3)
			cut = nl;
		else if (sp && u_sp * 2 > max)
			cut = sp;
		else
			cut = p;
		if (cut == pos) {	/* cannot happen with max >= 2; be safe */
			next_tok(html + pos, &t);
			cut = pos + t.len;
		}
		/* Closing tags right at the cut belong to this chunk. */
		while (cut < len) {
			next_tok(html + cut, &t);
			if (!t.tag || !t.close)
				break;
			cut += t.len;
		}
		/* The chunk: open what was open, the text, close what is. */
		for (size_t i = 0; i < st.n; i++)
			buf_append(&b, html + st.at[i], st.len[i]);
		copy_stack(&at_cut, &st);
		for (p = pos; p < cut; p += t.len) {
			next_tok(html + p, &t);
			apply(&at_cut, &t, p);
		}
		buf_append(&b, html + pos, cut - pos);
		close_all(html, &at_cut, &b);
		copy_stack(&st, &at_cut);
		pos = cut;
		while (pos < len && html[pos] == '\n')
			pos++;
		if (b.s == NULL || blank_chunk(b.s)) {
			buf_free(&b);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 4;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n++] = buf_steal(&b);
	}
	free(st.at);
	free(st.len);
	free(at_cut.at);
	free(at_cut.len);
	*out = v;
	return n;
}

void
tg_chunks_free(char **chunks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(chunks[i]);
	free(chunks);
}

size_t
tg_html_units(const char *html)
{
	size_t units = 0;
	struct tok t;

	while (*html) {
		next_tok(html, &t);
		units += t.units;
		html += t.len;
	}
	return units;
}

/* ---- the check ---------------------------------------------------------- */

static bool
name_is(const char *s, size_t n, const char *name)
{
	return n == strlen(name) && memcmp(s, name, n) == 0;
}

/* A tag's kind: 'f' formatting, 'a' link, 'c' code, 'p' pre, 'q' quote,
 * 0 not allowed.  The attributes are checked too. */
static char
tag_kind(const char *s, const struct tok *t, bool *code_lang)
{
	const char *nm = s + t->name, *attr = nm + t->namelen;
	size_t alen = (size_t)(s + t->len - 1 - attr);
	static const char *fmt[] = { "b", "strong", "i", "em", "u", "ins",
	    "s", "strike", "del", "tg-spoiler" };

	*code_lang = false;
	if (t->close)
		return alen == 0 ? 'x' : 0;
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++)
		if (name_is(nm, t->namelen, fmt[i]))
			return alen == 0 ? 'f' : 0;
	if (name_is(nm, t->namelen, "span"))
		return alen == 19 && memcmp(attr, " class=\"tg-spoiler\"", 19) == 0 ?
		    'f' : 0;
	if (name_is(nm, t->namelen, "pre"))
		return alen == 0 ? 'p' : 0;
	if (name_is(nm, t->namelen, "blockquote"))
		return alen == 0 || (alen == 11 && memcmp(attr, " expandable", 11) == 0) ?
		    'q' : 0;
	if (name_is(nm, t->namelen, "code")) {
		if (alen == 0)
			return 'c';
		if (alen > 18 && memcmp(attr, " class=\"language-", 17) == 0 &&
		    attr[alen - 1] == '"') {
			for (size_t i = 17; i < alen - 1; i++)
				if (attr[i] == '"' || attr[i] == '<' || attr[i] == '&')
					return 0;
			*code_lang = true;
			return 'c';
		}
		return 0;
	}
	if (name_is(nm, t->namelen, "a")) {
		if (alen < 10 || memcmp(attr, " href=\"", 7) != 0 || attr[alen - 1] != '"')
			return 0;
		for (size_t i = 7; i < alen - 1; i++)
			if (attr[i] == '"' || attr[i] == '<')
				return 0;
		return 'a';
	}
	return 0;
}

#define FAIL(msg) do { if (why) *why = (msg); ok = false; goto out; } while (0)

bool
tg_html_check(const char *html, size_t max, const char **why)
{
	struct {
		const char *name;
		size_t namelen;
		char kind;
	} *stk = NULL;
	size_t n = 0, cap = 0, units = 0;
	bool ok = true, visible = false;
	const char *s = html;
	struct tok t;

	while (*s) {
		if (*s == '<') {
			bool lang;
			char k;

			if (strchr(s, '>') == NULL)
				FAIL("unterminated tag");
			next_tok(s, &t);
			k = tag_kind(s, &t, &lang);
			if (k == 0)
				FAIL("tag not allowed");
			if (k == 'x') {
				if (n == 0 || stk[n - 1].namelen != t.namelen ||
				    memcmp(s + t.name, stk[n - 1].name, t.namelen) != 0)
					FAIL("unbalanced closing tag");
				n--;
			} else {
				for (size_t i = 0; i < n; i++) {
					char o = stk[i].kind;

					if (o == 'c')
						FAIL("a tag inside code");
					if (o == 'p' && !(k == 'c' && i == n - 1))
						FAIL("a tag inside pre other than its code");
					if (o == 'a' && k != 'f')
						FAIL("a link holds code, pre, a quote or a link");
					if (o == 'q' && k == 'q')
						FAIL("nested blockquote");
				}
				if (lang && (n == 0 || stk[n - 1].kind != 'p'))
					FAIL("code with a language outside pre");
				if (n == cap) {
					cap = cap ? 2 * cap : 16;
					stk = xreallocarray(stk, cap, sizeof(*stk));
				}
				stk[n].name = s + t.name;
				stk[n].namelen = t.namelen;
				stk[n++].kind = k;
			}
			s += t.len;
			continue;
		}
		if (*s == '>')
			FAIL("bare >");
		if (*s == '&') {
			const char *e = strchr(s, ';');

			if (e == NULL || e - s > 12)
				FAIL("bare &");
			if (!(strncmp(s, "&lt;", 4) == 0 || strncmp(s, "&gt;", 4) == 0 ||
			    strncmp(s, "&amp;", 5) == 0 || strncmp(s, "&quot;", 6) == 0)) {
				size_t i = 2;
				bool hex = s[2] == 'x' || s[2] == 'X';

				if (s[1] != '#')
					FAIL("unknown entity");
				if (hex)
					i = 3;
				if (s + i == e)
					FAIL("empty numeric entity");
				for (; s + i < e; i++)
					if (!(s[i] >= '0' && s[i] <= '9') &&
					    !(hex && strchr("abcdefABCDEF", s[i])))
						FAIL("bad numeric entity");
			}
			units++;
			visible = true;
			s = e + 1;
			continue;
		}
		next_tok(s, &t);
		if (t.len == 1 && (unsigned char)*s >= 0x80)
			FAIL("invalid UTF-8");
		if (!(t.len == 1 && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')))
			visible = true;
		units += t.units;
		s += t.len;
	}
	if (n != 0)
		FAIL("tag left open");
	if (!visible)
		FAIL("no visible text");
	if (units > max)
		FAIL("too long");
out:
	free(stk);
	return ok;
}
