/* libFuzzer target for Markdown -> Telegram HTML -> split
 * (lib/mdwalk.c, lib/md_telegram.c, lib/tgsplit.c).
 *
 * Input: byte 0 picks the message limit (4096, or a small one so that
 * short inputs are cut too), the rest is the Markdown.  Checks:
 * - the whole rendering is HTML Telegram accepts (tg_html_check: only its
 *   tags, balanced and nested as it allows, only its entities, valid
 *   UTF-8), unless it shows nothing at all;
 * - every chunk of the split is such HTML on its own, within the limit in
 *   UTF-16 units;
 * - the chunks together show the same text as the whole, white space
 *   aside: the split neither loses nor adds a character. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md_telegram.h"
#include "tgsplit.h"
#include "util.h"

static void
squeeze(const char *s, struct buf *out)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r')
			buf_putc(out, *s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = { 4096, 2, 3, 7, 16, 64, 200, 1000 };
	struct buf whole = { 0 }, parts = { 0 };
	const char *md, *why = NULL;
	char *html, *plain, **v;
	size_t n, i, max;

	if (size < 1)
		return 0;
	max = limits[data[0] % (sizeof(limits) / sizeof(limits[0]))];
	md = (const char *)data + 1;
	html = md_telegram(md, size - 1);
	if (!tg_html_check(html, SIZE_MAX, &why) &&
	    strcmp(why, "no visible text") != 0) {
		fprintf(stderr, "rendering invalid: %s\n%s\n", why, html);
		abort();
	}
	n = tg_split(html, max, &v);
	for (i = 0; i < n; i++) {
		if (!tg_html_check(v[i], max, &why)) {
			fprintf(stderr, "chunk %zu invalid: %s\n%s\n", i, why, v[i]);
			abort();
		}
		plain = tg_html_plain(v[i]);
		squeeze(plain, &parts);
		free(plain);
	}
	plain = tg_html_plain(html);
	squeeze(plain, &whole);
	free(plain);
	if (whole.len != parts.len ||
	    (whole.len && memcmp(whole.s, parts.s, whole.len) != 0)) {
		fprintf(stderr, "split changed the text\n");
		abort();
	}
	tg_chunks_free(v, n);
	free(html);
	buf_free(&whole);
	buf_free(&parts);
	return 0;
}
