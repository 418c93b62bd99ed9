/* Unit tests: Markdown -> Telegram HTML (lib/md_telegram.c, lib/mdwalk.c)
 * and the split into messages (lib/tgsplit.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "md_telegram.h"
#include "mdwalk.h"
#include "tap.h"
#include "tgsplit.h"
#include "util.h"

static void
render_is(const char *md, const char *want, const char *name)
{
	char *got = md_telegram(md, strlen(md));

	is_str(got, want, name);
	free(got);
}

static int
valid(const char *html, size_t max)
{
	const char *why = NULL;

	if (tg_html_check(html, max, &why))
		return 1;
	printf("#   invalid (%s): %.200s\n", why, html);
	return 0;
}

/* Every chunk valid, within max, and the plain texts together hold every
 * visible character of the whole (white space aside). */
static void
split_ok(const char *md, size_t max, size_t min_chunks, const char *name)
{
	char *html = md_telegram(md, strlen(md)), *plain = tg_html_plain(html);
	char **v;
	size_t n = md_telegram_chunks(md, strlen(md), max, &v), i;
	struct buf joined = { 0 }, a = { 0 }, b = { 0 };
	int all = 1;

	for (i = 0; i < n; i++) {
		char *p = tg_html_plain(v[i]);

		if (!valid(v[i], max) || tg_html_units(v[i]) > max)
			all = 0;
		buf_puts(&joined, p);
		free(p);
	}
	for (i = 0; plain[i]; i++)
		if (plain[i] != ' ' && plain[i] != '\n')
			buf_putc(&a, plain[i]);
	for (i = 0; i < joined.len; i++)
		if (joined.s[i] != ' ' && joined.s[i] != '\n')
			buf_putc(&b, joined.s[i]);
	ok(all, name);
	ok(n >= min_chunks, "  enough chunks");
	ok(a.len == b.len && (a.len == 0 || memcmp(a.s, b.s, a.len) == 0),
	    "  no text lost or added by the split");
	tg_chunks_free(v, n);
	free(html);
	free(plain);
	buf_free(&joined);
	buf_free(&a);
	buf_free(&b);
}

int
main(void)
{
	char *s, **v;
	size_t n, i;
	struct buf b = { 0 };

	/* Constructs. */
	render_is("Hello world", "Hello world", "plain text unchanged");
	render_is("**bold** and *italic*", "<b>bold</b> and <i>italic</i>", "bold, italic");
	render_is("__b__ _i_", "<b>b</b> <i>i</i>", "underscore emphasis");
	render_is("~~gone~~", "<s>gone</s>", "strike");
	render_is("`a < b`", "<code>a &lt; b</code>", "inline code escaped");
	render_is("```python\nprint('hi')\n```", "<pre><code class=\"language-python\">print('hi')</code></pre>",
	    "fenced code with language");
	render_is("```\nx = 1\n```", "<pre>x = 1</pre>", "fenced code without language");
	render_is("```a\"b\nx\n```", "<pre>x</pre>", "a strange language is dropped");
	render_is("[site](https://example.com/?a=1&b=2)",
	    "<a href=\"https://example.com/?a=1&amp;b=2\">site</a>", "link");
	render_is("[x](javascript:alert(1))", "x", "unsafe link is text");
	render_is("> quoted\n> more", "<blockquote>quoted\nmore</blockquote>", "block quote");
	render_is("- one\n- two", "• one\n• two", "bullet list");
	render_is("1. one\n2. two", "1. one\n2. two", "ordered list");
	render_is("- a\n  - b", "• a\n  • b", "nested list indented");
	render_is("- [ ] todo\n- [x] done", "• ☐ todo\n• ☑ done", "task list");
	render_is("# Title\ntext", "<b>Title</b>\n\ntext", "heading as bold");
	render_is("| a | bb |\n|---|---:|\n| ccc | d |",
	    "<pre>a   | bb\n----+---\nccc |  d</pre>", "table as preformatted text");
	render_is("a\n\n---\n\nb", "a\n\n──────────\n\nb", "rule");
	render_is("line one\nline two", "line one\nline two", "soft break kept as newline");
	render_is("", "", "empty");
	/* Nesting. */
	render_is("**bold with `code`**", "<b>bold with <code>code</code></b>", "code inside bold");
	render_is("***both***", "<i><b>both</b></i>", "bold italic nested properly");
	render_is("**a *b* c**", "<b>a <i>b</i> c</b>", "italic inside bold");
	render_is("[**x** `y`](http://h)", "<a href=\"http://h\"><b>x</b> y</a>", "no code inside a link");
	render_is("> a\n> > b", "<blockquote>a\nb</blockquote>", "no blockquote inside a blockquote");
	render_is("> ```\n> x\n> ```", "<blockquote>x</blockquote>", "no pre inside a blockquote");
	render_is("- **b** `c`", "• <b>b</b> <code>c</code>", "formatting inside a list");
	/* Hostile. */
	render_is("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;", "script escaped");
	render_is("a & b \"q\"", "a &amp; b &quot;q&quot;", "ampersand and quotes escaped");
	render_is("&lt;b&gt; &#x1F600; &bogus;", "&lt;b&gt; \xF0\x9F\x98\x80 &amp;bogus;", "entities decoded");
	render_is("**unbalanced", "**unbalanced", "unbalanced ** stays text");
	render_is("a ** b", "a ** b", "lone ** stays text");
	s = md_telegram("``````````", 10);
	is_str(s, "", "an empty unclosed fence renders to nothing");
	free(s);
	buf_putc(&b, 'x');
	for (i = 0; i < 10000; i++)
		buf_putc(&b, '`');
	s = md_telegram(b.s, b.len);
	ok(valid(s, SIZE_MAX), "10,000 backticks render to valid HTML");
	n = md_telegram_chunks(b.s, b.len, 4096, &v);
	ok(n >= 3, "10,000 backticks split into several messages");
	for (i = 0; i < n; i++)
		if (!valid(v[i], 4096))
			break;
	ok(i == n, "  each valid");
	tg_chunks_free(v, n);
	free(s);
	buf_clear(&b);
	for (i = 0; i < 5000; i++)
		buf_putc(&b, '>');
	buf_puts(&b, " deep");
	s = md_telegram(b.s, b.len);
	ok(valid(s, SIZE_MAX) && strstr(s, "deep"), "5,000 nested quotes: flattened, valid");
	free(s);
	buf_clear(&b);
	for (i = 0; i < 3000; i++)
		buf_puts(&b, "- ");
	buf_puts(&b, "x");
	s = md_telegram(b.s, b.len);
	ok(valid(s, SIZE_MAX), "3,000 nested lists: valid");
	free(s);
	render_is("bad \xff utf8", "bad \xEF\xBF\xBD utf8", "invalid UTF-8 replaced");

	/* Splitting. */
	s = md_telegram("", 0);
	n = tg_split(s, 4096, &v);
	is_int(n, 0, "empty text: no chunk");
	tg_chunks_free(v, n);
	free(s);
	n = md_telegram_chunks("short", 5, 4096, &v);
	ok(n == 1 && strcmp(v[0], "short") == 0, "short text: one chunk as is");
	tg_chunks_free(v, n);
	buf_clear(&b);
	while (b.len < 20000) {
		buf_puts(&b, "Some prose & <stuff> before the code, **bold** text.\n\n");
		buf_puts(&b, "```c\n");
		for (i = 0; i < 12; i++)
			buf_printf(&b, "int x%zu = a < b && c > d; /* line %zu */\n", i, i);
		buf_puts(&b, "```\n\n");
	}
	split_ok(b.s, 4096, 5, "20,000-char reply full of code blocks: every chunk valid on its own");
	n = md_telegram_chunks(b.s, b.len, 4096, &v);
	for (i = 1; i < n; i++)
		if (strncmp(v[i], "<pre><code class=\"language-c\">", 30) != 0 &&
		    strstr(v[i - 1], "</code></pre>") == v[i - 1] + strlen(v[i - 1]) - 13)
			break;
	ok(n > 1, "  split");
	tg_chunks_free(v, n);
	/* A cut inside a code block reopens it with its language. */
	buf_clear(&b);
	buf_puts(&b, "```go\n");
	for (i = 0; i < 400; i++)
		buf_printf(&b, "fmt.Println(%zu)\n", i);
	buf_puts(&b, "```\n");
	n = md_telegram_chunks(b.s, b.len, 1000, &v);
	ok(n > 1, "long code block split");
	for (i = 0; i < n; i++)
		if (strncmp(v[i], "<pre><code class=\"language-go\">", 31) != 0 ||
		    !str_ends(v[i], "</code></pre>") || !valid(v[i], 1000))
			break;
	ok(i == n, "  each chunk is a whole go code block");
	s = tg_html_plain(v[0]);
	ok(n > 1 && str_ends(s, ")\n"), "  cut at a line end");
	free(s);
	tg_chunks_free(v, n);
	/* Emoji count two units each. */
	buf_clear(&b);
	for (i = 0; i < 3000; i++)
		buf_puts(&b, "\xF0\x9F\x98\x80");
	split_ok(b.s, 4096, 2, "3,000 emoji (6,000 UTF-16 units) split in two");
	/* Long words with no space: a hard cut on a character boundary. */
	buf_clear(&b);
	for (i = 0; i < 9000; i++)
		buf_puts(&b, "\xC3\xA9");
	split_ok(b.s, 4096, 3, "9,000 é with no break point");
	buf_clear(&b);
	for (i = 0; i < 3000; i++)
		buf_puts(&b, "**a & b** ");
	split_ok(b.s, 4096, 3, "formatting and entities across cuts");
	/* The check itself refuses what Telegram refuses. */
	ok(!tg_html_check("<b>x", 4096, NULL), "check: open tag");
	ok(!tg_html_check("<b>x</i>", 4096, NULL), "check: mismatched");
	ok(!tg_html_check("<script>x</script>", 4096, NULL), "check: unknown tag");
	ok(!tg_html_check("a & b", 4096, NULL), "check: bare &");
	ok(!tg_html_check("&nbsp;", 4096, NULL), "check: unknown named entity");
	ok(!tg_html_check("<code><b>x</b></code>", 4096, NULL), "check: tag in code");
	ok(!tg_html_check("<blockquote><blockquote>x</blockquote></blockquote>", 4096, NULL),
	    "check: nested blockquote");
	ok(!tg_html_check("  \n", 4096, NULL), "check: blank");
	ok(!tg_html_check("abcde", 4, NULL), "check: too long");
	ok(tg_html_check("<pre><code class=\"language-c\">x</code></pre>", 4096, NULL),
	    "check: pre with language");
	ok(tg_html_check("<a href=\"http://x\"><b>y</b></a> &#128512; &amp;", 4096, NULL),
	    "check: link, numeric entity");
	is_int(tg_html_units("<b>&amp;\xF0\x9F\x98\x80</b>x"), 4, "units: entity 1, emoji 2, tags 0");
	s = tg_html_plain("<b>a &lt;&amp;&gt; &quot;</b>&#233;");
	is_str(s, "a <&> \"\xC3\xA9", "plain text of HTML");
	free(s);
	s = tg_html_plain("&#x110000;&#xD800;&#0;&#x100000041;");
	is_str(s, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD&#x100000041;",
	    "plain text: an entity past U+10FFFF, a surrogate, NUL are U+FFFD; an overlong one stays");
	free(s);
	buf_free(&b);
	return tap_done();
}
