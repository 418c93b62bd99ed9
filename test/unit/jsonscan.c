/* Unit tests for lib/jsonscan.c: validity, compactness, the notes for a
 * full parser, field spans (last occurrence wins, sub-fields), the cursor;
 * and agreement with jansson on random mutations. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonscan.h"
#include "tap.h"
#include "util.h"

static int
scan(const char *s, unsigned *seen)
{
	return jsonscan(s, strlen(s), NULL, 0, seen);
}

static int
span_is(const struct jsonscan_field *f, const char *want)
{
	if (want == NULL)
		return f->val == NULL;
	return f->val != NULL && f->vlen == strlen(want) &&
	    memcmp(f->val, want, f->vlen) == 0;
}

static void
test_validity(void)
{
	unsigned seen;
	struct buf deep = { 0 };

	is_int(scan("{\"a\":[1,2.5e-3,-0,true,false,null,{}],\"b\":[]}", &seen),
	    JSONSCAN_VALID, "all kinds of values");
	is_int(seen, 0, "compact, nothing to note");
	is_int(scan(" [1, 2]\n", &seen), JSONSCAN_VALID, "white space");
	is_int(seen, JSONSCAN_SPACE, "noted as not compact");
	is_int(scan("\"a b\"", &seen), JSONSCAN_VALID, "space in a string");
	is_int(seen, 0, "is not insignificant white space");
	is_int(scan("{\"a\":1,}", &seen), JSONSCAN_INVALID, "trailing comma");
	is_int(scan("[01]", &seen), JSONSCAN_INVALID, "leading zero");
	is_int(scan("[1.]", &seen), JSONSCAN_INVALID, "bare decimal point");
	is_int(scan("[1e]", &seen), JSONSCAN_INVALID, "bare exponent");
	is_int(scan("\"\xC0\xAF\"", &seen), JSONSCAN_INVALID, "overlong UTF-8");
	is_int(scan("\"\xE0\x80\xAF\"", &seen), JSONSCAN_INVALID,
	    "overlong 3-byte UTF-8");
	is_int(scan("\"\xED\xA0\x80\"", &seen), JSONSCAN_INVALID, "UTF-8 surrogate");
	is_int(scan("\"\xF4\x90\x80\x80\"", &seen), JSONSCAN_INVALID,
	    "beyond U+10FFFF");
	is_int(scan("\"\xE4\xB8\"", &seen), JSONSCAN_INVALID, "cut UTF-8");
	is_int(scan("\"\\ud800\"", &seen), JSONSCAN_INVALID, "lone high surrogate");
	is_int(scan("\"\\ud800\\u0041\"", &seen), JSONSCAN_INVALID,
	    "high surrogate, then no low one");
	is_int(scan("\"\\udc00\"", &seen), JSONSCAN_INVALID, "lone low surrogate");
	is_int(scan("\"a\tb\"", &seen), JSONSCAN_INVALID, "raw tab in a string");
	is_int(scan("\"\\x\"", &seen), JSONSCAN_INVALID, "bad escape");
	is_int(scan("\"\\u12g4\"", &seen), JSONSCAN_INVALID, "bad \\u escape");
	is_int(scan("{}{}", &seen), JSONSCAN_INVALID, "two values");
	is_int(scan("", &seen), JSONSCAN_INVALID, "empty");
	is_int(scan("  ", &seen), JSONSCAN_INVALID, "only white space");
	is_int(scan("nul", &seen), JSONSCAN_INVALID, "cut literal");
	is_int(scan("{\"a\" 1}", &seen), JSONSCAN_INVALID, "missing colon");
	is_int(jsonscan("[1]\0", 4, NULL, 0, &seen), JSONSCAN_INVALID,
	    "raw NUL byte after the value");

	is_int(scan("\"\\u0000\"", &seen), JSONSCAN_VALID, "\\u0000 is valid");
	is_int(seen, JSONSCAN_NUL, "and noted");
	is_int(scan("\"\\ud83d\\ude00\"", &seen), JSONSCAN_VALID,
	    "a surrogate pair is valid");
	is_int(seen, JSONSCAN_SURROGATE, "and noted");
	is_int(scan("[1234567890123456]", &seen), JSONSCAN_VALID,
	    "a 16-digit integer is valid");
	is_int(seen, JSONSCAN_BIGNUM, "and noted");
	is_int(scan("[123456789012345,1e99,-1.5E+12]", &seen), JSONSCAN_VALID,
	    "15 digits, 2-digit exponents");
	is_int(seen, 0, "are not noted");
	is_int(scan("[1e999]", &seen), JSONSCAN_VALID, "1e999 is valid");
	is_int(seen, JSONSCAN_BIGNUM, "and noted");

	for (int i = 0; i <= JSONSCAN_DEPTH_MAX; i++)
		buf_putc(&deep, '[');
	for (int i = 0; i <= JSONSCAN_DEPTH_MAX; i++)
		buf_putc(&deep, ']');
	is_int(scan(deep.s, &seen), JSONSCAN_VALID, "nesting at the limit");
	buf_free(&deep);
	for (int i = 0; i <= JSONSCAN_DEPTH_MAX + 1; i++)
		buf_putc(&deep, '[');
	for (int i = 0; i <= JSONSCAN_DEPTH_MAX + 1; i++)
		buf_putc(&deep, ']');
	is_int(scan(deep.s, &seen), JSONSCAN_TOO_DEEP, "one deeper: too deep");
	buf_free(&deep);
}

static void
test_fields(void)
{
	struct jsonscan_field sub[2] = {
		{ .key = "text", .klen = 4 },
		{ .key = "n", .klen = 1 },
	};
	struct jsonscan_field f[3] = {
		{ .key = "type", .klen = 4 },
		{ .key = "event", .klen = 5, .sub = sub, .nsub = 2 },
		{ .key = "missing", .klen = 7 },
	};
	const char *s;
	unsigned seen;

	s = "{\"x\":{\"type\":\"no\"},\"type\":\"a\\\"b\",\"event\":"
	    "{\"text\":\"hi\", \"n\":[1,2]}}";
	is_int(jsonscan(s, strlen(s), f, 3, &seen), JSONSCAN_VALID, "fields: valid");
	ok(span_is(&f[0], "\"a\\\"b\""), "top-level key's raw span, not a nested one");
	ok(f[0].count == 1, "counted once");
	ok(span_is(&f[1], "{\"text\":\"hi\", \"n\":[1,2]}"), "object span");
	ok(span_is(&sub[0], "\"hi\""), "sub-field span");
	ok(span_is(&sub[1], "[1,2]"), "sub-field array span");
	ok(span_is(&f[2], NULL) && f[2].count == 0, "absent key");
	is_int(seen, JSONSCAN_SPACE, "the space is seen");
	ok(jsonscan_field_is(&sub[0], "hi") && !jsonscan_field_is(&sub[0], "h"),
	    "jsonscan_field_is");

	s = "{\"type\":1,\"event\":{\"text\":\"a\"},\"type\":\"b\","
	    "\"event\":{\"n\":2}}";
	is_int(jsonscan(s, strlen(s), f, 3, &seen), JSONSCAN_VALID, "repeated keys");
	ok(span_is(&f[0], "\"b\"") && f[0].count == 2, "the last one wins, both counted");
	ok(span_is(&sub[0], NULL) && span_is(&sub[1], "2"),
	    "sub-fields are the last parent's");

	s = "{\"typ\\u0065\":\"x\",\"a\":{\"\\u0061\":1}}";
	is_int(jsonscan(s, strlen(s), f, 3, &seen), JSONSCAN_VALID, "escaped keys");
	ok(span_is(&f[0], NULL), "an escaped key does not match");
	is_int(seen, JSONSCAN_ESCKEY, "one where keys are looked for is noted");
	s = strchr(s + 1, '{');
	is_int(jsonscan(s, strlen(s) - 1, f, 0, &seen), JSONSCAN_VALID,
	    "no fields looked for");
	is_int(seen, 0, "nothing noted");

	s = "{\"type\":\"a\\u0062\",\"event\":\"e\\n\"}";
	is_int(jsonscan(s, strlen(s), f, 3, &seen), JSONSCAN_VALID, "escaped values");
	ok(f[0].escaped && f[1].escaped, "a string value with an escape is noted");
	s = "{\"type\":\"ab\",\"event\":{\"text\":\"t\\\"\"}}";
	is_int(jsonscan(s, strlen(s), f, 3, &seen), JSONSCAN_VALID, "plain values");
	ok(!f[0].escaped && !f[1].escaped, "not noted for a plain string or an object");
	ok(sub[0].escaped, "noted for a sub-field");
	s = "{\"event\":{\"text\":\"a\"},\"event\":\"s\"}";
	is_int(jsonscan(s, strlen(s), f, 3, &seen), JSONSCAN_VALID, "object then string");
	ok(span_is(&f[1], "\"s\"") && span_is(&sub[0], NULL),
	    "a parent whose last value is a string has no sub-fields");

	s = "[{\"type\":\"x\"}]";
	is_int(jsonscan(s, strlen(s), f, 3, &seen), JSONSCAN_VALID, "an array");
	ok(span_is(&f[0], NULL), "keys are looked for at the top level only");

	s = "{\"type\":\"x\",\"event\":{\"text\":\"a\"},\"b\":[}";
	is_int(jsonscan(s, strlen(s), f, 3, &seen), JSONSCAN_INVALID,
	    "invalid after the fields");
}

static void
test_cursor(void)
{
	const char *s = "\"k\" : [1, {\"a\":\"\\n\"}] , 2";
	struct jsonscan j = { s, s + strlen(s), 0, 0 };
	bool esc;

	ok(jsonscan_string(&j, &esc) && !esc && *j.p == ' ', "cursor: a string");
	jsonscan_ws(&j);
	ok(*j.p == ':' && j.seen == JSONSCAN_SPACE, "white space skipped, noted");
	j.p++;
	jsonscan_ws(&j);
	is_int(jsonscan_value(&j, NULL, 0), JSONSCAN_VALID, "a value");
	ok(strcmp(j.p, " , 2") == 0 && j.depth == 0, "stops right after it");
	j.p = s + 15;
	ok(jsonscan_string(&j, &esc) && esc, "escaped string");

	{
		const char *o = "{\"a\":1 , \"b\":\"x\",\"a\":[2]} ";
		struct jsonscan_field f[2] = {
			{ .key = "a", .klen = 1 }, { .key = "c", .klen = 1 },
		};
		struct jsonscan k = { o + 6, o + strlen(o), 1, 0 };

		is_int(jsonscan_object_rest(&k, f, 2), JSONSCAN_VALID,
		    "the rest of an object");
		ok(span_is(&f[0], "[2]") && f[0].count == 1 &&
		    span_is(&f[1], NULL), "its fields");
		ok(k.depth == 0 && strcmp(k.p, " ") == 0, "ends after its '}'");
		k.p = o + 6;
		k.end = o + 20;
		k.depth = 1;
		is_int(jsonscan_object_rest(&k, f, 2), JSONSCAN_INVALID,
		    "cut before its '}'");
	}
}

/* Agreement with jansson: what the scanner accepts without notes jansson
 * accepts; what jansson accepts the scanner accepts. */
static unsigned long rs = 12345;

static unsigned
rnd(unsigned n)
{
	rs = rs * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(rs >> 33) % n;
}

static void
test_jansson(void)
{
	static const char *seeds[] = {
		"{\"type\":\"stream_event\",\"event\":{\"type\":\"x\",\"n\":[1,-2.5e3,true,null]},\"s\":\"caf\\u00e9 \xc3\xa9\"}",
		"[\"\\ud83d\\ude00\",{},[],0,\"a\\\"b\\\\\"]",
		"{ \"a\" : false , \"b\" : { \"c\" : \"\\n\" } }",
	};
	const char alphabet[] = "{}[]\":,\\ u0aeE.-+\x80\xc3\xa9\xff\x01tfn9d8";
	char b[256];
	int bad = 0;

	for (int it = 0; it < 100000 && bad < 5; it++) {
		const char *src = seeds[rnd(3)];
		size_t n = strlen(src);
		int edits = 1 + (int)rnd(3);
		unsigned seen;
		json_t *v;
		int r;

		memcpy(b, src, n);
		while (edits--) {
			size_t at = rnd((unsigned)n);
			char c = alphabet[rnd(sizeof(alphabet) - 1)];

			switch (rnd(3)) {
			case 0:
				b[at] = c;
				break;
			case 1:
				if (n + 1 < sizeof(b)) {
					memmove(b + at + 1, b + at, n - at);
					b[at] = c;
					n++;
				}
				break;
			default:
				if (n > 1) {
					memmove(b + at, b + at + 1, n - at - 1);
					n--;
				}
			}
		}
		r = jsonscan(b, n, NULL, 0, &seen);
		v = json_loadb(b, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if ((v != NULL && r != JSONSCAN_VALID && memchr(b, 0, n) == NULL) ||
		    (v == NULL && r == JSONSCAN_VALID && !(seen & JSONSCAN_UNSURE))) {
			printf("# disagree (scan %d, jansson %s): %.*s\n", r,
			    v ? "ok" : "error", (int)n, b);
			bad++;
		}
		json_decref(v);
	}
	is_int(bad, 0, "agrees with jansson on 100000 mutated texts");
}

int
main(void)
{
	test_validity();
	test_fields();
	test_cursor();
	test_jansson();
	return tap_done();
}
