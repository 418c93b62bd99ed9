/* libFuzzer target for the SSE parser (lib/sse.c) and the JSON check that
 * lets events bypass a full parse (lib/rpc.c).
 *
 * Input: byte 0 seeds the chunking, the rest is the stream.  Checks:
 * - the events are the same whether the stream is fed whole or in chunks
 *   (the chunk sizes come from the seed, 1..64 bytes, and a cut at every
 *   CR); a small limit and a large one behave consistently;
 * - for every event, the shared scanner (lib/jsonscan.c) agrees with
 *   jansson: what it accepts with nothing noted for a full parser jansson
 *   accepts; the raw span it reports for the top-level "type" is a valid
 *   value, and when it is the only one and a plain string, jansson's;
 * - for every event, rpc_json_check agrees with jansson: whatever jansson
 *   accepts the check accepts (unless it holds a raw NUL byte, where
 *   jansson stops reading); whatever the check accepts jansson accepts
 *   unless a number is out of jansson's range; a "compact" verdict means
 *   one line and jansson's compact form of it has no more bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonscan.h"
#include "rpc.h"
#include "sse.h"
#include "util.h"

static int
collect(void *arg, const struct sse_event *ev)
{
	struct buf *b = arg;
	char n[96];

	/* "DATALEN TYPELEN IDLEN RETRY|" TYPE ID DATA */
	snprintf(n, sizeof(n), "%zu %zu %zu %ld|", ev->data_len,
	    strlen(ev->type), strlen(ev->id), ev->retry);
	buf_puts(b, n);
	buf_puts(b, ev->type);
	buf_puts(b, ev->id);
	buf_append(b, ev->data, ev->data_len);
	return 0;
}

/* The scanner itself, against jansson's reading v (NULL: rejected) and
 * rpc_json_check's verdict r. */
static void
check_scan(const char *d, size_t n, int r, json_t *v)
{
	struct jsonscan_field f = { .key = "type", .klen = 4 };
	unsigned seen;
	int s;

	s = jsonscan(d, n, &f, 1, &seen);
	if (s != r) {
		fprintf(stderr, "jsonscan and rpc_json_check differ\n");
		abort();
	}
	if (s != JSONSCAN_VALID)
		return;
	if (v == NULL && !(seen & JSONSCAN_UNSURE)) {
		fprintf(stderr, "scanner accepts what jansson rejects\n");
		abort();
	}
	if (f.val != NULL) {
		unsigned sseen;

		if (f.val < d || f.val + f.vlen > d + n ||
		    jsonscan(f.val, f.vlen, NULL, 0, &sseen) != JSONSCAN_VALID)
			abort();
		if (v && json_is_object(v) && f.count == 1 &&
		    !(seen & (JSONSCAN_ESCKEY | JSONSCAN_UNSURE)) &&
		    f.val[0] == '"' && memchr(f.val, '\\', f.vlen) == NULL) {
			const char *t = json_string_value(json_object_get(v,
			    "type"));

			if (t == NULL || strlen(t) != f.vlen - 2 ||
			    memcmp(t, f.val + 1, f.vlen - 2) != 0) {
				fprintf(stderr, "type span differs\n");
				abort();
			}
		}
	} else if (v && json_is_object(v) && !(seen & JSONSCAN_ESCKEY) &&
	    json_object_get(v, "type") != NULL) {
		fprintf(stderr, "type missed\n");
		abort();
	}
}

static void
check_json(const char *d, size_t n)
{
	bool compact;
	const char *type;
	size_t tl;
	json_error_t je;
	json_t *v;
	int r;

	r = rpc_json_check(d, n, &compact, &type, &tl);
	v = json_loadb(d, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	/* jansson reads a raw NUL byte as the end of its input; the check
	 * (rightly) refuses it. */
	if (v && r == 0 && memchr(d, '\0', n) == NULL) {
		fprintf(stderr, "check rejects what jansson accepts\n");
		abort();
	}
	if (!v && r == 1 && strstr(je.text, "too big") == NULL &&
	    strstr(je.text, "overflow") == NULL) {
		fprintf(stderr, "check accepts what jansson rejects: %s\n",
		    je.text);
		abort();
	}
	if (r == 1 && compact) {
		if (memchr(d, '\n', n) || memchr(d, '\r', n))
			abort();
		if (v && json_is_object(v)) {
			const char *t = json_string_value(json_object_get(v,
			    "type"));

			if ((t == NULL) != (type == NULL))
				abort();
			if (t && (strlen(t) != tl || memcmp(t, type, tl) != 0))
				abort();
		}
	}
	check_scan(d, n, r, v);
	json_decref(v);
	(void)rpc_event_classify(d, n, &compact);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sse_parser p;
	struct buf whole = { 0 }, parts = { 0 };
	const char *s;
	size_t n, i, step;
	unsigned seed;
	int r1, r2, rc;

	if (size < 1)
		return 0;
	seed = data[0];
	s = (const char *)data + 1;
	n = size - 1;

	/* Whole, with a limit big enough for any input here. */
	sse_init(&p, 1 << 20, collect, &whole);
	r1 = sse_feed(&p, s, n);
	sse_free(&p);

	/* In chunks. */
	sse_init(&p, 1 << 20, collect, &parts);
	r2 = 0;
	for (i = 0; i < n; i += step) {
		step = 1 + (seed * 7 + i * 13) % (1 + (seed & 63));
		if (step > n - i)
			step = n - i;
		/* Also cut right after every CR now and then. */
		if (seed & 1) {
			const char *cr = memchr(s + i, '\r', step);

			if (cr)
				step = (size_t)(cr - (s + i)) + 1;
		}
		rc = sse_feed(&p, s + i, step);
		if (rc)
			r2 = rc;
	}
	sse_free(&p);
	if (r1 != r2 || whole.len != parts.len ||
	    (whole.len && memcmp(whole.s, parts.s, whole.len) != 0)) {
		fprintf(stderr, "whole and chunked parses differ\n");
		abort();
	}

	/* A small limit: may refuse, must not crash or leak. */
	buf_free(&parts);
	sse_init(&p, 16 + (seed & 31), collect, &parts);
	for (i = 0; i < n; i += 5)
		(void)sse_feed(&p, s + i, n - i < 5 ? n - i : 5);
	(void)sse_pending(&p);
	sse_free(&p);

	/* The JSON check on every event's data, and on the raw input. */
	for (i = 0; i < whole.len;) {
		size_t dl, tl, il;
		long retry;
		const char *q = memchr(whole.s + i, '|', whole.len - i);

		if (q == NULL || sscanf(whole.s + i, "%zu %zu %zu %ld", &dl,
		    &tl, &il, &retry) != 4)
			abort();
		q += 1 + tl + il;
		check_json(q, dl);
		i = (size_t)(q - whole.s) + dl;
	}
	check_json(s, n);
	buf_free(&whole);
	buf_free(&parts);
	return 0;
}
