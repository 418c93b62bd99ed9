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
 * - for every event, rpc_event_classify agrees with jansson: whatever
 *   jansson accepts is printed (unless it holds a raw NUL byte, where
 *   jansson stops reading); whatever is printed jansson accepts, unless a
 *   number is out of its range or a key holds \u0000; a text printed as it
 *   is is compact; a stripped one is compact, and jansson reads the same
 *   value from it; the kind is the one jansson's reading gives. */
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

/* The scanner itself, against jansson's reading v (NULL: rejected). */
static void
check_scan(const char *d, size_t n, json_t *v)
{
	struct jsonscan_field f = { .key = "type", .klen = 4 };
	unsigned seen;
	int s;

	s = jsonscan(d, n, &f, 1, &seen);
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
		if (f.escaped != (f.val[0] == '"' &&
		    memchr(f.val, '\\', f.vlen) != NULL)) {
			fprintf(stderr, "escaped flag wrong\n");
			abort();
		}
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

/* The kind jansson's reading of an event gives. */
static enum rpc_event_kind
kind_of_value(json_t *v)
{
	const char *t = json_string_value(json_object_get(v, "type"));
	static const struct { const char *s; enum rpc_event_kind k; } m[] = {
		{ "ping", EV_PING }, { "result", EV_RESULT },
		{ "error", EV_ERROR }, { "queued", EV_QUEUED },
	};

	/* A type with a NUL inside is none of these. */
	if (t && strlen(t) == json_string_length(json_object_get(v, "type")))
		for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
			if (strcmp(t, m[i].s) == 0)
				return m[i].k;
	return EV_OTHER;
}

static bool
one_line_compact(const char *d, size_t n)
{
	unsigned seen;

	return memchr(d, '\n', n) == NULL && memchr(d, '\r', n) == NULL &&
	    jsonscan(d, n, NULL, 0, &seen) == JSONSCAN_VALID &&
	    !(seen & JSONSCAN_SPACE);
}

static void
check_json(const char *d, size_t n)
{
	enum rpc_event_form form;
	enum rpc_event_kind k;
	json_error_t je;
	json_t *v;

	k = rpc_event_classify(d, n, &form);
	v = json_loadb(d, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (k == EV_DONE) {
		if (v || form != RPC_FORM_SKIP)
			abort();
		return;
	}
	/* jansson reads a raw NUL byte as the end of its input; the check
	 * (rightly) refuses it. */
	if (v && form == RPC_FORM_SKIP && memchr(d, '\0', n) == NULL) {
		fprintf(stderr, "classify skips what jansson accepts\n");
		abort();
	}
	if (!v && (form == RPC_FORM_AS_IS || form == RPC_FORM_STRIP) &&
	    strstr(je.text, "too big") == NULL &&
	    strstr(je.text, "overflow") == NULL &&
	    strstr(je.text, "NUL byte in object key") == NULL) {
		fprintf(stderr, "classify prints what jansson rejects: %s\n",
		    je.text);
		abort();
	}
	if (form == RPC_FORM_AS_IS && !one_line_compact(d, n)) {
		fprintf(stderr, "printed as is but not compact\n");
		abort();
	}
	if (form == RPC_FORM_STRIP) {
		char *out = malloc(n ? n : 1);
		size_t m = jsonscan_strip(out, d, n);
		json_t *back;

		if (out == NULL)
			abort();
		if (m >= n || !one_line_compact(out, m)) {
			fprintf(stderr, "stripped text is not compact\n");
			abort();
		}
		back = json_loadb(out, m, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (v && (back == NULL || !json_equal(v, back))) {
			fprintf(stderr, "stripping changed the value\n");
			abort();
		}
		json_decref(back);
		free(out);
	}
	if (v && form != RPC_FORM_SKIP && form != RPC_FORM_PARSE &&
	    k != kind_of_value(v)) {
		fprintf(stderr, "kind %d, jansson says %d\n", k,
		    kind_of_value(v));
		abort();
	}
	check_scan(d, n, v);
	json_decref(v);
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
