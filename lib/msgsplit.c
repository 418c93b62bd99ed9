/* msgsplit.c — see msgsplit.h.  Upstream's split_message works on Python
 * code points; here every position is a byte offset into valid or invalid
 * UTF-8 and every length compared with max is in UTF-16 units.  Invalid
 * bytes are single characters of one unit, so a cut may fall between two
 * bytes of an invalid run but never inside a valid sequence. */
#include "msgsplit.h"
#include "utf8.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* A fence re-opened with a longer info string is re-opened bare. */
#define FENCE_LANG_MAX	32
/* Below this max there is no room to close and re-open fences. */
#define FENCED_MIN	64

/* The next character of s[0..n): its length in bytes and in units. */
static size_t
step(const char *s, size_t n, size_t *units)
{
	uint32_t cp;
	size_t len = utf8_decode(s, n, &cp);

	if (cp == UTF8_BAD) {
		*units = 1;
		return 1;
	}
	*units = cp > 0xFFFF ? 2 : 1;
	return len;
}

size_t
text_units(const char *s, size_t n)
{
	size_t i = 0, total = 0, u;

	while (i < n) {
		i += step(s + i, n - i, &u);
		total += u;
	}
	return total;
}

size_t
text_prefix(const char *s, size_t n, size_t max)
{
	size_t i = 0, total = 0, u, len;

	while (i < n) {
		len = step(s + i, n - i, &u);
		if (total + u > max)
			break;
		i += len;
		total += u;
	}
	return i;
}

void
chunks_free(struct chunks *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

static void
chunks_push(struct chunks *c, char *s)
{
	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n++] = s;
}

/* Length of s[0..n) without its trailing white space (str.rstrip()). */
static size_t
rstrip_len(const char *s, size_t n)
{
	size_t i = 0, keep = 0;
	uint32_t cp;

	while (i < n) {
		i += utf8_decode(s + i, n - i, &cp);
		if (!uc_is_space(cp))
			keep = i;
	}
	return keep;
}

/* The start of the last occurrence of pat in s[0..n), or -1. */
static long
rfind(const char *s, size_t n, const char *pat)
{
	size_t m = strlen(pat);

	for (size_t i = n >= m ? n - m + 1 : 0; i > 0; i--)
		if (memcmp(s + i - 1, pat, m) == 0)
			return (long)(i - 1);
	return -1;
}

/* Toggle *open for each non-overlapping "```" of s[0..n), left to right as
 * Python's re.finditer counts them; *last is the offset of the last one and
 * *opener that of the last one that opened a block (both -1 when none). */
static size_t
scan_fences(const char *s, size_t n, bool *open, long *last, long *opener)
{
	size_t count = 0, i = 0;
	const char *p;

	*last = *opener = -1;
	while (i + 3 <= n && (p = memmem(s + i, n - i, "```", 3)) != NULL) {
		*last = p - s;
		*open = !*open;
		if (*open)
			*opener = *last;
		count++;
		i = (size_t)(p - s) + 3;
	}
	return count;
}

/* The cut point in the segment s[0..seg) (the longest prefix of what is left
 * that is at most max units), upstream's rules in order.  open: whether the
 * text before s is inside a fence (always false for msg_split). */
static size_t
find_cut(const char *s, size_t seg, size_t max, bool open)
{
	static const char *const sentence[] = { ". ", "! ", "? ", "; " };
	long last, opener, at;

	/* 1. A fence open at the end of the segment: cut before the last
	 * fence when that is far enough in. */
	scan_fences(s, seg, &open, &last, &opener);
	if (open && last >= 0 && text_units(s, (size_t)last) > 200)
		return (size_t)last;
	/* 2. Paragraph, 3. line: past 30% of max. */
	if ((at = rfind(s, seg, "\n\n")) >= 0 &&
	    text_units(s, (size_t)at) * 10 > max * 3)
		return (size_t)at + 1;
	if ((at = rfind(s, seg, "\n")) >= 0 &&
	    text_units(s, (size_t)at) * 10 > max * 3)
		return (size_t)at + 1;
	/* 4. Sentence, 5. word: past half of max. */
	for (size_t i = 0; i < sizeof(sentence) / sizeof(sentence[0]); i++)
		if ((at = rfind(s, seg, sentence[i])) >= 0 &&
		    text_units(s, (size_t)at) * 2 > max)
			return (size_t)at + 2;
	if ((at = rfind(s, seg, " ")) >= 0 && text_units(s, (size_t)at) * 2 > max)
		return (size_t)at + 1;
	/* 6. Hard cut at max. */
	return seg;
}

/* Whether s[0..n) is empty or white space only. */
static bool
blank(const char *s, size_t n)
{
	return rstrip_len(s, n) == 0;
}

/* A cut that would leave no progress (max too small for the first
 * character) takes that one character anyway. */
static size_t
progress(const char *s, size_t n, size_t k)
{
	size_t u;

	return k > 0 ? k : step(s, n, &u);
}

void
msg_split(const char *text, size_t max, struct chunks *out)
{
	const char *rem = text;
	size_t rn = strlen(text), seg, k;

	out->v = NULL;
	out->n = 0;
	if (text_prefix(text, rn, max) == rn) {
		chunks_push(out, xstrdup(text));
		return;
	}
	while (rn > 0) {
		seg = text_prefix(rem, rn, max);
		if (seg == rn) {
			if (!blank(rem, rn))
				chunks_push(out, xstrndup(rem, rn));
			break;
		}
		k = progress(rem, rn, find_cut(rem, seg, max, false));
		if (rstrip_len(rem, k) > 0)
			chunks_push(out, xstrndup(rem, rstrip_len(rem, k)));
		rem += k;
		rn -= k;
		while (rn > 0 && *rem == '\n') {
			rem++;
			rn--;
		}
	}
}

/* The info string of the fence that starts at s[0] ("```python\n" ->
 * "python"): the rest of its line, when that is one word without a
 * backtick; else "".  malloc'd. */
static char *
fence_info(const char *s, size_t n)
{
	size_t i = 3, end;

	while (i < n && s[i] != '\n')
		i++;
	end = i;
	while (end > 3 && (s[end - 1] == '\r' || s[end - 1] == ' ' ||
	    s[end - 1] == '\t'))
		end--;
	for (i = 3; i < end; i++)
		if (s[i] == '`' || s[i] == ' ' || s[i] == '\t')
			return xstrdup("");
	return xstrndup(s + 3, end - 3);
}

bool
text_open_fence(const char *s, size_t n, char **lang)
{
	bool open = false;
	long last, opener;

	scan_fences(s, n, &open, &last, &opener);
	if (open && lang != NULL)
		*lang = opener >= 0 ? fence_info(s + opener, n - (size_t)opener) :
		    xstrdup("");
	return open;
}

void
msg_split_fenced(const char *text, size_t max, struct chunks *out)
{
	const char *rem = text;
	size_t rn = strlen(text), seg, k, keep, budget;
	bool open = false;	/* the text before rem ends inside a fence */
	char *lang = xstrdup("");
	struct buf chunk = {0};

	if (max < FENCED_MIN) {
		free(lang);
		msg_split(text, max, out);
		return;
	}
	out->v = NULL;
	out->n = 0;
	if (text_prefix(text, rn, max) == rn) {
		chunks_push(out, xstrdup(text));
		free(lang);
		return;
	}
	while (rn > 0) {
		size_t prefix_units = open ? 4 + text_units(lang, strlen(lang)) : 0;
		bool now_open;
		long last, opener;

		buf_clear(&chunk);
		if (open)
			buf_printf(&chunk, "```%s\n", lang);
		seg = text_prefix(rem, rn, max - prefix_units);
		if (seg == rn) {
			if (!blank(rem, rn)) {
				buf_append(&chunk, rem, rn);
				chunks_push(out, xstrdup(chunk.s));
			}
			break;
		}
		/* Room for the "\n```" that may close the chunk. */
		budget = max - prefix_units - 4;
		seg = text_prefix(rem, rn, budget);
		k = find_cut(rem, seg, budget, open);
		/* A hard cut inside a run of backticks moves to its start. */
		if (k > 0 && k < rn && rem[k] == '`' && rem[k - 1] == '`') {
			size_t j = k;

			while (j > 0 && rem[j - 1] == '`')
				j--;
			if (j > 0)
				k = j;
		}
		k = progress(rem, rn, k);
		keep = rstrip_len(rem, k);
		now_open = open;
		scan_fences(rem, keep, &now_open, &last, &opener);
		/* A chunk never ends on the line of the fence it opens: that
		 * line (and its info string) goes to the next chunk whole. */
		if (now_open && opener > 0 &&
		    memchr(rem + opener, '\n', keep - (size_t)opener) == NULL) {
			k = (size_t)opener;
			keep = rstrip_len(rem, k);
			now_open = open;
			scan_fences(rem, keep, &now_open, &last, &opener);
		}
		/* A cut just before the fence that closes the block takes
		 * that fence instead of adding one (no empty block next). */
		if (now_open) {
			size_t j = k;

			while (j < rn && strchr(" \t\r\n", rem[j]) != NULL)
				j++;
			if (j + 3 <= rn && memcmp(rem + j, "```", 3) == 0 &&
			    text_units(rem, j + 3) <= max - prefix_units) {
				k = keep = j + 3;
				now_open = open;
				scan_fences(rem, keep, &now_open, &last, &opener);
			}
		}
		if (keep > 0) {
			buf_append(&chunk, rem, keep);
			if (now_open) {
				if (opener >= 0) {
					free(lang);
					lang = fence_info(rem + opener,
					    keep - (size_t)opener);
					if (text_units(lang, strlen(lang)) >
					    FENCE_LANG_MAX)
						lang[0] = '\0';
				}
				buf_puts(&chunk, "\n```");
			}
			chunks_push(out, xstrdup(chunk.s));
			open = now_open;
		}
		rem += k;
		rn -= k;
		while (rn > 0 && *rem == '\n') {
			rem++;
			rn--;
		}
	}
	buf_free(&chunk);
	free(lang);
}
