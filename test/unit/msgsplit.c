/* Unit tests for lib/msgsplit: upstream's split_message vectors
 * (upstream-engine.md §12.1), lengths in UTF-16 units, UTF-8 never cut, and
 * msg_split_fenced's guarantee on long texts full of code blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgsplit.h"
#include "tap.h"
#include "utf8.h"
#include "util.h"

static char *
rep(const char *s, size_t n)
{
	struct buf b = {0};

	for (size_t i = 0; i < n; i++)
		buf_puts(&b, s);
	return buf_steal(&b);
}

static bool
valid_utf8(const char *s)
{
	size_t n = strlen(s), i = 0;
	uint32_t cp;

	while (i < n) {
		i += utf8_decode(s + i, n - i, &cp);
		if (cp == UTF8_BAD)
			return false;
	}
	return true;
}

static size_t
fences(const char *s)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, "```")) != NULL; p += 3)
		n++;
	return n;
}

/* Split text at max; check the chunk count and each chunk against want
 * (NULL entries: not checked). */
static void
split_is(const char *name, const char *text, size_t max, size_t nwant,
    const char *const *want)
{
	struct chunks c;
	char label[160];

	msg_split(text, max, &c);
	snprintf(label, sizeof(label), "%s: %zu chunks", name, nwant);
	is_int((long long)c.n, (long long)nwant, label);
	for (size_t i = 0; i < c.n && i < nwant; i++) {
		if (want == NULL || want[i] == NULL)
			continue;
		snprintf(label, sizeof(label), "%s: chunk %zu", name, i);
		is_str(c.v[i], want[i], label);
	}
	chunks_free(&c);
}

/* Every chunk at most max units, valid UTF-8 when the input is. */
static void
all_fit(const char *name, const char *text, size_t max, bool fenced,
    size_t *nchunks)
{
	struct chunks c;
	bool fit = true, utf8 = true;
	char label[160];

	if (fenced)
		msg_split_fenced(text, max, &c);
	else
		msg_split(text, max, &c);
	for (size_t i = 0; i < c.n; i++) {
		if (text_units(c.v[i], strlen(c.v[i])) > max) {
			fit = false;
			printf("# chunk %zu: %zu units\n", i,
			    text_units(c.v[i], strlen(c.v[i])));
		}
		if (!valid_utf8(c.v[i]))
			utf8 = false;
	}
	snprintf(label, sizeof(label), "%s: every chunk <= %zu units", name, max);
	ok(fit, label);
	if (valid_utf8(text)) {
		snprintf(label, sizeof(label), "%s: no UTF-8 sequence cut", name);
		ok(utf8, label);
	}
	if (nchunks != NULL)
		*nchunks = c.n;
	chunks_free(&c);
}

/* Whether text[0..n) ends inside a fence. */
static bool
open_at(const char *text, size_t n)
{
	return text_open_fence(text, n, NULL);
}

/* Skip white space in text from *pos until text continues with p[0..pn);
 * false when a non-white-space character comes first. */
static bool
match_after_space(const char *text, size_t len, size_t *pos, const char *p,
    size_t pn)
{
	size_t i = *pos;
	uint32_t cp;

	for (;;) {
		if (i + pn <= len && memcmp(text + i, p, pn) == 0) {
			*pos = i + pn;
			return true;
		}
		if (i >= len)
			return false;
		size_t l = utf8_decode(text + i, len - i, &cp);
		if (!uc_is_space(cp))
			return false;
		i += l;
	}
}

/* The invariant msg_split_fenced guarantees (msg_split too, adding no
 * lines).  A chunk that ends inside a block of the text gets a closing
 * "\n```" added, and the next chunk an opening "```INFO\n" (INFO: the
 * block's info string); with those lines removed the chunks are the text in
 * order, separated only by white space the cuts removed (trailing white
 * space of a chunk, leading newlines of the rest, white-space-only pieces):
 *   text = w0 p1 w1 p2 w2 ... pn wn, every wi white space only.
 * Every chunk is at most max units and has balanced ``` fences (the last
 * one when the text is balanced). */
struct fenced_result {
	bool fit, in_order;
	size_t unbalanced, added;
};

static void
check_fenced(const char *text, size_t max, struct fenced_result *r)
{
	struct chunks c;
	size_t pos = 0, len = strlen(text), unbalanced = 0, added = 0;
	bool in_order = true, fit = true, open = false;

	msg_split_fenced(text, max, &c);
	for (size_t i = 0; i < c.n && in_order; i++) {
		const char *p = c.v[i];
		size_t pn = strlen(p), save;

		if (text_units(p, pn) > max)
			fit = false;
		if (fences(p) % 2 != 0)
			unbalanced++;
		if (open) {
			/* The block's own info string, re-opened. */
			char *lang = NULL, *want;
			const char *nl = strchr(p, '\n');

			text_open_fence(text, pos, &lang);
			want = xasprintf("```%s\n", lang);
			if (nl == NULL || strncmp(p, want, strlen(want)) != 0) {
				printf("# chunk %zu does not re-open with %s", i, want);
				in_order = false;
			}
			free(lang);
			free(want);
			if (!in_order)
				break;
			pn -= (size_t)(nl + 1 - p);
			p = nl + 1;
			added++;
		}
		/* The chunk as it is, when it continues the text; else it
		 * must end with an added closer: without it, it continues
		 * the text and ends inside a block. */
		save = pos;
		open = false;
		if (match_after_space(text, len, &pos, p, pn)) {
			if (i + 1 < c.n && open_at(text, pos)) {
				printf("# chunk %zu ends inside a block, not closed\n", i);
				in_order = false;
			}
			continue;
		}
		pos = save;
		if (pn >= 4 && memcmp(p + pn - 4, "\n```", 4) == 0 &&
		    match_after_space(text, len, &pos, p, pn - 4) && open_at(text, pos)) {
			open = true;
			added++;
			continue;
		}
		printf("# chunk %zu not found at %zu\n", i, pos);
		in_order = false;
	}
	if (in_order)
		for (size_t i = pos; i < len; i++)
			if (!strchr(" \t\r\n", text[i]))
				in_order = false;
	r->fit = fit;
	r->in_order = in_order;
	r->unbalanced = unbalanced;
	r->added = added;
	chunks_free(&c);
}

static void
fenced_invariant(const char *name, const char *text, size_t max)
{
	struct fenced_result r;
	char label[200];

	check_fenced(text, max, &r);
	snprintf(label, sizeof(label), "%s at %zu: every chunk <= max", name, max);
	ok(r.fit, label);
	snprintf(label, sizeof(label), "%s at %zu: every chunk has balanced fences",
	    name, max);
	is_int((long long)r.unbalanced, 0, label);
	snprintf(label, sizeof(label),
	    "%s at %zu: chunks minus added fence lines = text minus cut white space",
	    name, max);
	ok(r.in_order, label);
	snprintf(label, sizeof(label), "%s at %zu: fences were repaired (%zu lines)",
	    name, max, r.added);
	ok(r.added > 0, label);
}

/* Random texts of words, white space, fences with and without a language,
 * backticks, multi-byte characters and emoji (balanced fences), split at
 * random sizes: the invariant holds for every one. */
static void
fenced_random(void)
{
	static const char *const parts[] = {
		"a", "b", "x", " ", "\n", "\n\n", ". ", "```", "```py\n",
		"```c\n", "\n```\n", "`", "\xC3\xA9", "\xF0\x9F\x98\x80", "word",
		"word", "word", "word", "word",
	};
	static const size_t maxes[] = { 64, 80, 100, 250, 300, 500, 777 };
	unsigned long seed = 12345;
	size_t failed = 0, repaired = 0;

	for (int it = 0; it < 400; it++) {
		struct buf b = {0};
		struct fenced_result r;
		size_t n, max;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		n = 20 + (seed >> 33) % 1000;
		max = maxes[(seed >> 20) % 7];
		for (size_t i = 0; i < n; i++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			buf_puts(&b, parts[(seed >> 33) % (sizeof(parts) / sizeof(parts[0]))]);
		}
		if (fences(b.s) % 2)
			buf_puts(&b, "\n```");
		check_fenced(b.s, max, &r);
		if (!r.fit || !r.in_order || r.unbalanced) {
			if (failed++ < 3)
				printf("# failed: max %zu, text \"%.200s\"\n", max, b.s);
		}
		repaired += r.added > 0;
		buf_free(&b);
	}
	is_int((long long)failed, 0, "400 random texts: the fenced invariant holds");
	ok(repaired > 50, "random texts: many needed fence repair");
}

/* About 20,000 characters of prose and code blocks of several languages,
 * many longer than 500 characters and some longer than 4096, with blank
 * lines, multi-byte characters and emoji. */
static char *
code_text(void)
{
	static const char *const langs[] = { "python", "c", "", "sh", "json" };
	struct buf b = {0};
	unsigned seed = 7;

	for (int block = 0; b.len < 20000; block++) {
		buf_printf(&b, "Paragraph %d explains the next step. It has "
		    "several sentences; some are long enough to wrap. \xF0\x9F\x98\x80 "
		    "Done.\n\n", block);
		buf_printf(&b, "```%s\n", langs[block % 5]);
		/* Every seventh block is longer than 4096 characters. */
		int lines = block % 7 == 3 ? 110 : 3 + (int)(seed % 40);
		seed = seed * 1103515245 + 12345;
		for (int l = 0; l < lines; l++) {
			buf_printf(&b, "    line_%d = compute(%d, \"caf\xC3\xA9\")  # %s\n",
			    l, l * block, l % 7 == 0 ? "note \xE2\x82\xAC" : "x");
			if (l % 11 == 5)
				buf_puts(&b, "\n");
		}
		buf_puts(&b, "```\n\n");
	}
	return buf_steal(&b);
}

int
main(void)
{
	char *a60 = rep("A", 60), *b60 = rep("B", 60), *s;

	/* Units. */
	is_int((long long)text_units("abc", 3), 3, "units: ASCII");
	is_int((long long)text_units("\xC3\xA9\xE2\x82\xAC", 5), 2, "units: é€ are 1 each");
	is_int((long long)text_units("\xF0\x9F\x98\x80", 4), 2, "units: an emoji is 2");
	is_int((long long)text_units("\xFF\xFE", 2), 2, "units: invalid bytes 1 each");
	is_int((long long)text_units("\xE2\x82" "a", 3), 3, "units: truncated sequence");
	is_int((long long)text_prefix("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 8, 3), 4,
	    "prefix: an emoji is not cut to fit");
	is_int((long long)text_prefix("a\xC3\xA9", 3, 1), 1, "prefix: é not cut");
	is_int((long long)text_prefix("a\xC3\xA9", 3, 2), 3, "prefix: é whole");
	is_int((long long)text_prefix("abc", 3, 10), 3, "prefix: all fits");

	/* §12.1 vectors. */
	{
		const char *want[] = { a60, b60 };
		s = xasprintf("%s\n\n%s", a60, b60);
		split_is("paragraph", s, 80, 2, want);
		free(s);
		s = xasprintf("%s\n%s", a60, b60);
		split_is("line", s, 80, 2, want);
		free(s);
	}
	{
		char *x = rep("X", 50), *y = rep("Y", 50);
		const char *code = "```\nsome code here\nmore code\n```";
		const char *want[] = { x, code, y };
		struct chunks c;
		size_t bal = 0;

		s = xasprintf("%s\n\n%s\n\n%s", x, code, y);
		split_is("fenced block", s, 80, 3, want);
		msg_split(s, 80, &c);
		for (size_t i = 0; i < c.n; i++)
			bal += fences(c.v[i]) % 2 == 0;
		is_int((long long)bal, 3, "fenced block: each chunk balanced");
		chunks_free(&c);
		free(s);
		free(x);
		free(y);
	}
	{
		char *a55 = rep("A", 55), *b55 = rep("B", 55), *first;
		const char *want[] = { NULL, b55 };
		struct chunks c;

		first = xasprintf("%s.", a55);
		want[0] = first;
		s = xasprintf("%s. %s", a55, b55);
		split_is("sentence", s, 80, 2, want);
		msg_split(s, 80, &c);
		ok(c.n == 2 && str_ends(c.v[0], "."), "sentence: first chunk ends in '.'");
		chunks_free(&c);
		free(s);
		free(first);
		free(a55);
		free(b55);
	}
	{
		char *a100 = rep("a", 100);
		const char *want[] = { a100, a100, a100 };
		s = rep("a", 300);
		split_is("hard cut", s, 100, 3, want);
		free(s);
		free(a100);
	}
	{
		struct chunks c;
		bool fit = true;

		s = rep("word ", 30);
		msg_split(s, 80, &c);
		is_int((long long)c.n, 2, "words: 2 chunks");
		for (size_t i = 0; i < c.n; i++)
			fit = fit && strlen(c.v[i]) <= 80;
		ok(fit, "words: each <= 80");
		/* The cut is after the last space past half: 16 words. */
		if (c.n == 2)
			is_str(c.v[1], "word word word word word word word word "
			    "word word word word word word ", "words: the rest");
		chunks_free(&c);
		free(s);
	}
	{
		const char *one[1];
		s = rep("a", 2000);
		one[0] = s;
		split_is("exactly max", s, 2000, 1, one);
		free(s);
		one[0] = "";
		split_is("empty text", "", 2000, 1, one);
		one[0] = "   \n ";
		split_is("white space that fits is kept", "   \n ", 2000, 1, one);
	}
	{
		/* Trailing white space of a chunk and leading newlines of the
		 * rest go; white-space-only chunks are dropped. */
		const char *want[] = { "aaaa bbbb", "cccc" };
		split_is("trims at cuts", "aaaa bbbb \n\n\n\ncccc", 10, 2, want);
		const char *want2[] = { "xxxxxxxxxx", "yy" };
		split_is("drops blank pieces", "xxxxxxxxxx\n          \n\nyy", 10, 2, want2);
	}

	/* UTF-8: multi-byte, 4-byte and invalid text. */
	{
		const char *want[] = { NULL, NULL, NULL };
		size_t n;
		struct chunks c;

		s = rep("\xC3\xA9", 300);
		split_is("300 x é at 100", s, 100, 3, want);
		all_fit("300 x é at 100", s, 100, false, NULL);
		msg_split(s, 100, &c);
		ok(c.n == 3 && strlen(c.v[0]) == 200, "é: 100 characters, 200 bytes");
		chunks_free(&c);
		free(s);

		s = rep("\xF0\x9F\x98\x80", 100);	/* 200 units */
		all_fit("100 emoji at 51", s, 51, false, &n);
		is_int((long long)n, 4, "100 emoji at 51: 25 per chunk");
		msg_split(s, 51, &c);
		ok(c.n > 0 && strlen(c.v[0]) == 100, "emoji: 25 whole emoji (100 bytes)");
		chunks_free(&c);
		free(s);

		s = rep("ab \xF0\x9F\x8E\x89 \xE4\xB8\xAD\xE6\x96\x87 ", 200);
		all_fit("mixed scripts at 37", s, 37, false, NULL);
		all_fit("mixed scripts fenced at 70", s, 70, true, NULL);
		free(s);

		s = rep("\xFF", 300);
		split_is("invalid bytes at 100", s, 100, 3, want);
		free(s);
		s = rep("a\xE2\x82 \xF0\x9F", 100);
		all_fit("truncated sequences at 33", s, 33, false, NULL);
		free(s);
		/* max 1 and an emoji: one character per chunk, no hang. */
		msg_split("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 1, &c);
		is_int((long long)c.n, 2, "max 1 with emoji: progresses one character at a time");
		chunks_free(&c);
	}

	/* Fences. */
	{
		char *lang = NULL;

		ok(text_open_fence("x\n```python\ny", 13, &lang), "open fence");
		is_str(lang, "python", "open fence: info string");
		free(lang);
		lang = NULL;
		ok(!text_open_fence("```c\nx\n```\n", 11, &lang), "closed fence");
		ok(lang == NULL, "closed fence: no info string");
		ok(text_open_fence("```", 3, &lang), "bare fence at the end");
		is_str(lang, "", "bare fence: empty info");
		free(lang);
		ok(text_open_fence("```py3 x\n", 9, NULL), "open, lang not asked");
		lang = NULL;
		text_open_fence("```a b\nx", 8, &lang);
		is_str(lang, "", "info with a space is not a language");
		free(lang);
	}
	{
		/* One long python block: closed and re-opened as python. */
		struct buf b = {0};
		struct chunks c;

		buf_puts(&b, "Here is the script:\n\n```python\n");
		for (int i = 0; i < 60; i++)
			buf_printf(&b, "print('line %d')\n", i);
		buf_puts(&b, "```\n\nThat is all.");
		msg_split_fenced(b.s, 500, &c);
		ok(c.n >= 3, "fenced: a long block needs several chunks");
		ok(c.n >= 2 && str_ends(c.v[0], "\n```"), "fenced: first chunk closed");
		ok(c.n >= 2 && str_starts(c.v[1], "```python\nprint("),
		    "fenced: next chunk re-opened with its language");
		ok(c.n >= 2 && str_ends(c.v[c.n - 1], "That is all."), "fenced: the end");
		chunks_free(&c);
		/* msg_split, upstream: the block is cut without repair. */
		msg_split(b.s, 500, &c);
		ok(c.n >= 2 && fences(c.v[0]) % 2 == 1, "plain split leaves a fence open");
		chunks_free(&c);
		fenced_invariant("one python block", b.s, 500);
		buf_free(&b);
	}
	{
		char *t = code_text();

		ok(strlen(t) >= 20000, "the code text is 20,000 characters or more");
		fenced_invariant("20k code text", t, 500);
		fenced_invariant("20k code text", t, 4096);
		fenced_invariant("20k code text", t, 64);
		fenced_invariant("20k code text", t, 97);
		all_fit("20k code text, plain", t, 500, false, NULL);
		fenced_random();
		free(t);
	}
	{
		/* Small max: no room to repair, same as msg_split. */
		struct chunks a, c;
		bool same;

		s = rep("```x\nabc def\n``` ", 20);
		msg_split(s, 40, &a);
		msg_split_fenced(s, 40, &c);
		same = a.n == c.n;
		for (size_t i = 0; same && i < a.n; i++)
			same = strcmp(a.v[i], c.v[i]) == 0;
		ok(same, "fenced below 64 units is msg_split");
		chunks_free(&a);
		chunks_free(&c);
		free(s);
		msg_split_fenced("short ```", 100, &c);
		ok(c.n == 1 && strcmp(c.v[0], "short ```") == 0, "fenced: text that fits is unchanged");
		chunks_free(&c);
	}
	free(a60);
	free(b60);
	return tap_done();
}
