/* Unit tests for lib/sse.c (the incremental SSE parser) and the pieces of
 * lib/rpc.c that need no network: target parsing, the JSON check and event
 * classification. */
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "rpc.h"
#include "sse.h"
#include "tap.h"
#include "util.h"

/* Every dispatched event as "type|id|retry|data" + "\n--\n". */
static int
collect(void *arg, const struct sse_event *ev)
{
	struct buf *b = arg;

	buf_printf(b, "%s|%s|%ld|", ev->type, ev->id, ev->retry);
	for (size_t i = 0; i < ev->data_len; i++)
		if (ev->data[i] == '\0')
			buf_puts(b, "\\0");
		else
			buf_putc(b, ev->data[i]);
	buf_puts(b, "\n--\n");
	return 0;
}

/* Parse s in pieces of at most `step` bytes (0: whole); returns events. */
static char *
parse(const char *s, size_t n, size_t step, size_t max, int *rc)
{
	struct sse_parser p;
	struct buf out = { 0 };
	int r, worst = 0;

	sse_init(&p, max, collect, &out);
	if (step == 0)
		step = n ? n : 1;
	for (size_t i = 0; i < n; i += step) {
		r = sse_feed(&p, s + i, n - i < step ? n - i : step);
		if (r != 0)
			worst = r;
	}
	if (sse_pending(&p))
		buf_puts(&out, "(pending)\n");
	sse_free(&p);
	if (rc)
		*rc = worst;
	if (out.s == NULL)
		buf_puts(&out, "");
	return buf_steal(&out);
}

static char *
parse_cut(const char *s, size_t n, size_t cut)
{
	struct sse_parser p;
	struct buf out = { 0 };

	sse_init(&p, 0, collect, &out);
	sse_feed(&p, s, cut);
	sse_feed(&p, s + cut, n - cut);
	if (sse_pending(&p))
		buf_puts(&out, "(pending)\n");
	sse_free(&p);
	buf_puts(&out, "");
	return buf_steal(&out);
}

static void
check(const char *in, const char *want, const char *name)
{
	char *got = parse(in, strlen(in), 0, 0, NULL);

	is_str(got, want, name);
	free(got);
}

static const char sample[] =
    "\xEF\xBB\xBF: comment\n"
    "data: {\"type\":\"ping\"}\n\n"
    "data:{\"a\":1}\r\n\r\n"
    "event: message\rid: 7\rretry: 1000\rdata: h\xC3\xA9llo \xF0\x9F\x8E\x89\r\r"
    "data: line1\ndata: line2\ndata:\n\n"
    ": another\r\n"
    "id\n"
    "data\n\n"
    "event: x\n\n"
    "data:  two spaces\n\n"
    "retry: 12x\nevent: custom\nfoo: bar\ndata: [DONE]\n\n";

static const char sample_want[] =
    "message||-1|{\"type\":\"ping\"}\n--\n"
    "message||-1|{\"a\":1}\n--\n"
    "message|7|1000|h\xC3\xA9llo \xF0\x9F\x8E\x89\n--\n"
    "message|7|1000|line1\nline2\n\n--\n"
    "message||1000|\n--\n"
    "message||1000| two spaces\n--\n"
    "custom||1000|[DONE]\n--\n";

static void
test_sample(void)
{
	size_t n = sizeof(sample) - 1;
	char *got;
	int bad = 0;

	got = parse(sample, n, 0, 0, NULL);
	is_str(got, sample_want, "sample in one piece");
	free(got);
	got = parse(sample, n, 1, 0, NULL);
	is_str(got, sample_want, "sample one byte at a time");
	free(got);
	for (size_t step = 2; step < 17; step++) {
		got = parse(sample, n, step, 0, NULL);
		if (strcmp(got, sample_want) != 0)
			bad++;
		free(got);
	}
	is_int(bad, 0, "sample in pieces of 2..16 bytes");
	bad = 0;
	for (size_t cut = 0; cut <= n; cut++) {
		got = parse_cut(sample, n, cut);
		if (strcmp(got, sample_want) != 0) {
			if (!bad)
				printf("# cut at %zu:\n# %s\n", cut, got);
			bad++;
		}
		free(got);
	}
	is_int(bad, 0, "sample cut in two at every byte offset");
}

static void
test_cases(void)
{
	check("data: a\n\n", "message||-1|a\n--\n", "LF");
	check("data: a\r\n\r\n", "message||-1|a\n--\n", "CRLF");
	check("data: a\r\r", "message||-1|a\n--\n", "CR");
	check("data: a\r\n\r", "message||-1|a\n--\n", "CRLF then CR");
	check("data:a\n\n", "message||-1|a\n--\n", "no space after colon");
	check("data:\n\n", "message||-1|\n--\n", "empty data dispatches \"\"");
	check("data\n\n", "message||-1|\n--\n", "field name alone");
	check("data: a\ndata: b\n\n", "message||-1|a\nb\n--\n", "multi-line data");
	check("event: e\n\n", "", "an event without data is not dispatched");
	check(": c\n: d\n\n", "", "comments only");
	check("data: a\n: c\ndata: b\n\n", "message||-1|a\nb\n--\n",
	    "comment between data lines");
	check("id: 1\ndata: a\n\ndata: b\n\n",
	    "message|1|-1|a\n--\nmessage|1|-1|b\n--\n", "id persists");
	check("retry: 5\ndata: a\n\nretry: x\ndata: b\n\n",
	    "message||5|a\n--\nmessage||5|b\n--\n", "retry: digits only");
	check("data: a\n", "(pending)\n", "unfinished event at EOF is pending");
	check("data: a", "(pending)\n", "unfinished line at EOF is pending");
	check("x\xEF\xBB\xBF" "data: a\n\n", "", "BOM later is no BOM");
	check("\xEF\xBB" "data: a\n\n", "", "half a BOM is content");
	check("\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\n", "",
	    "only one BOM is skipped");
	check("\xEF\xBB\xBF" "data: a\n\n", "message||-1|a\n--\n", "BOM skipped");
	{
		static const char nul[] = "id: a\0b\ndata: x\0y\n\n";
		char *got = parse(nul, sizeof(nul) - 1, 0, 0, NULL);

		is_str(got, "message||-1|x\\0y\n--\n",
		    "id with NUL ignored; data keeps its NUL");
		free(got);
	}
}

static int
stop_at_second(void *arg, const struct sse_event *ev)
{
	int *n = arg;

	(void)ev;
	return ++*n == 2 ? 7 : 0;
}

static void
test_limits(void)
{
	struct buf in = { 0 };
	char *got;
	int rc;

	/* A 100-byte line with a limit of 64 is refused; the stream goes on. */
	buf_puts(&in, "data: ");
	for (int i = 0; i < 100; i++)
		buf_putc(&in, 'x');
	buf_puts(&in, "\n\ndata: ok\n\n");
	got = parse(in.s, in.len, 0, 64, &rc);
	is_int(rc, SSE_TOO_LONG, "overlong line: SSE_TOO_LONG");
	is_str(got, "message||-1|ok\n--\n", "overlong line: next event parsed");
	free(got);
	got = parse(in.s, in.len, 7, 64, &rc);
	is_int(rc, SSE_TOO_LONG, "overlong line in pieces: SSE_TOO_LONG");
	is_str(got, "message||-1|ok\n--\n", "overlong line in pieces: next ok");
	free(got);
	buf_free(&in);

	/* Many short data lines adding up past the limit. */
	for (int i = 0; i < 20; i++)
		buf_puts(&in, "data: 0123456789\n");
	buf_puts(&in, "\ndata: ok\n\n");
	got = parse(in.s, in.len, 5, 100, &rc);
	is_int(rc, SSE_TOO_LONG, "overlong event: SSE_TOO_LONG");
	is_str(got, "message||-1|ok\n--\n", "overlong event: next event parsed");
	free(got);
	buf_free(&in);

	/* Exactly at the limit is fine. */
	buf_puts(&in, "data:");
	for (int i = 0; i < 59; i++)
		buf_putc(&in, 'y');
	buf_puts(&in, "\n\n");
	got = parse(in.s, in.len, 3, 64, &rc);
	is_int(rc, 0, "a 64-byte line with limit 64 is accepted");
	free(got);
	buf_free(&in);

	{
		struct sse_parser p;
		int n = 0;
		static const char s[] = "data: 1\n\ndata: 2\n\ndata: 3\n\n";

		sse_init(&p, 0, stop_at_second, &n);
		is_int(sse_feed(&p, s, sizeof(s) - 1), 7,
		    "callback's value stops the feed");
		is_int(n, 2, "no event after the stop");
		sse_free(&p);
	}
}

static void
target(const char *spec, const char *want)
{
	struct rpc_target t;
	char *e = NULL;
	int r = rpc_target_parse(&t, spec, NULL, NULL, &e);
	char *name = xasprintf("target %s", spec);

	if (want == NULL) {
		ok(r == -1 && e != NULL, name);
	} else {
		is_str(r == 0 ? t.url : e, want, name);
		rpc_target_free(&t);
	}
	free(e);
	free(name);
}

static void
test_targets(void)
{
	struct rpc_target t;
	char *e = NULL;

	target("9100", "http://127.0.0.1:9100/rpc");
	target("localhost:9100", "http://localhost:9100/rpc");
	target("[::1]:9100", "http://[::1]:9100/rpc");
	target("http://h:1", "http://h:1/rpc");
	target("http://h:1/", "http://h:1/rpc");
	target("https://h:1/rpc", "https://h:1/rpc");
	target("https://h/base/", "https://h/base/rpc");
	target("HTTPS://h:9", "HTTPS://h:9/rpc");
	target("https://https://h", NULL);
	target("http://", NULL);
	target("0", NULL);
	target("70000", NULL);
	target("host", NULL);
	target("host:x", NULL);
	target("a b:1", NULL);
	target("", NULL);
	ok(rpc_target_parse(&t, "1", "tok", "SHA256:" "AB:cd:" "0123456789abcdef"
	    "0123456789abcdef0123456789abcdef0123456789ab", &e) == 0,
	    "fingerprint with colons and capitals");
	is_str(t.fingerprint, "sha256:abcd0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789ab", "fingerprint normalised");
	is_str(t.token, "tok", "token kept");
	rpc_target_free(&t);
	ok(rpc_target_parse(&t, "1", NULL, "sha256:abc", &e) == -1,
	    "short fingerprint refused");
	free(e);
	ok(rpc_target_parse(&t, "1", NULL, "md5:" "0123456789abcdef0123456789"
	    "abcdef0123456789abcdef0123456789abcdef", &e) == -1,
	    "other digest refused");
	free(e);
	ok(rpc_target_parse(&t, "1", "a\nb", NULL, &e) == -1,
	    "token with a newline refused");
	free(e);
}

static void
json_is(const char *s, enum rpc_event_form want, const char *name)
{
	enum rpc_event_form form;

	rpc_event_classify(s, strlen(s), &form);
	if (!ok(form == want, name))
		printf("#   form %d, want %d\n", form, want);
}

static void
strip_is(const char *s, const char *want, const char *name)
{
	char out[256];
	size_t n = jsonscan_strip(out, s, strlen(s));

	out[n] = '\0';
	is_str(out, want, name);
}

static void
test_json(void)
{
	enum rpc_event_form f;
	struct buf deep = { 0 };
	const char *s;

	json_is("{\"type\":\"text\",\"content\":\"a\"}", RPC_FORM_AS_IS,
	    "compact object: as is");
	json_is("{\"a\":[1,2.5e-3,-0,true,false,null,{}],\"b\":[]}",
	    RPC_FORM_AS_IS, "all kinds of values");
	json_is("{\"a\": 1}", RPC_FORM_STRIP, "white space: stripped");
	json_is("{\"a\":1}\n", RPC_FORM_STRIP, "trailing newline: stripped");
	json_is("\"h\xC3\xA9 \xE4\xB8\x96 \xF0\x9F\x8E\x89\"", RPC_FORM_AS_IS,
	    "UTF-8 string");
	json_is("\"\\u00e9\\ud83c\\udf89\\n\\\"\"", RPC_FORM_AS_IS,
	    "escapes and a surrogate pair");
	json_is("{\"a\":1,}", RPC_FORM_SKIP, "trailing comma");
	json_is("{\"a\":01}", RPC_FORM_SKIP, "leading zero");
	json_is("{\"a\":1.}", RPC_FORM_SKIP, "bare decimal point");
	json_is("\"\xC0\xAF\"", RPC_FORM_SKIP, "overlong UTF-8");
	json_is("\"\xED\xA0\x80\"", RPC_FORM_SKIP, "UTF-8 surrogate");
	json_is("\"\xF4\x90\x80\x80\"", RPC_FORM_SKIP, "beyond U+10FFFF");
	json_is("\"\xE4\xB8\"", RPC_FORM_SKIP, "cut UTF-8 sequence");
	json_is("\"\\ud800\"", RPC_FORM_SKIP, "lone high surrogate");
	json_is("\"\\udc00\"", RPC_FORM_SKIP, "lone low surrogate");
	json_is("\"a\tb\"", RPC_FORM_SKIP, "raw tab in a string");
	json_is("\"\\x\"", RPC_FORM_SKIP, "bad escape");
	json_is("{\"a\":1}{}", RPC_FORM_SKIP, "two values");
	json_is("", RPC_FORM_SKIP, "empty");
	json_is("nul", RPC_FORM_SKIP, "cut literal");
	for (int i = 0; i < 300; i++)
		buf_putc(&deep, '[');
	for (int i = 0; i < 300; i++)
		buf_putc(&deep, ']');
	json_is(deep.s, RPC_FORM_PARSE, "too deep for the scan: parsed");
	buf_free(&deep);

	strip_is("{ \"a\" :\t[ 1 , \"x y\\\" z\\\\\" ] ,\r\n\"b\": {} }\n",
	    "{\"a\":[1,\"x y\\\" z\\\\\"],\"b\":{}}",
	    "white space outside strings goes, inside stays");
	strip_is("[ 123456789012345678901234567890 , 1.0000000000000000001e400 ]",
	    "[123456789012345678901234567890,1.0000000000000000001e400]",
	    "numbers beyond a double's range are kept as written");

	is_int(rpc_event_classify("[DONE]", 6, &f), EV_DONE, "[DONE]");
	ok(f == RPC_FORM_SKIP, "[DONE] is not printed");
	is_int(rpc_event_classify("{\"type\":\"ping\"}", 15, &f), EV_PING, "ping");
	is_int(rpc_event_classify("{\"type\":\"result\",\"raw\":{}}", 26, &f),
	    EV_RESULT, "result");
	is_int(rpc_event_classify("{\"type\":\"error\",\"message\":\"x\"}", 30,
	    &f), EV_ERROR, "error");
	is_int(rpc_event_classify("{\"type\":\"queued\",\"position\":2}", 30,
	    &f), EV_QUEUED, "queued");
	is_int(rpc_event_classify("{\"type\":\"text\"}", 15, &f), EV_OTHER, "text");
	is_int(rpc_event_classify("{\"type\":", 8, &f), EV_INVALID, "invalid");
	s = "{\"x\":{\"type\":\"result\"},\"type\":\"text\"}";
	is_int(rpc_event_classify(s, strlen(s), &f), EV_OTHER,
	    "the kind is the top-level key's");
	s = "{\"type\":\"p\\u0069ng\"}";
	is_int(rpc_event_classify(s, strlen(s), &f), EV_PING,
	    "an escaped type value is read");
	ok(f == RPC_FORM_AS_IS, "and printed as written");
	s = "{\"type\":\"ping\",\"type\":\"result\"}";
	is_int(rpc_event_classify(s, strlen(s), &f), EV_RESULT,
	    "a repeated type: the last one");
	s = "{\"typ\\u0065\":\"error\"}";
	is_int(rpc_event_classify(s, strlen(s), &f), EV_ERROR,
	    "an escaped type key is read");
	s = "{\"a\\u0000\":1, \"type\":\"result\"}";
	is_int(rpc_event_classify(s, strlen(s), &f), EV_RESULT,
	    "a \\u0000 in a key (jansson refuses it): the scan's kind");
	ok(f == RPC_FORM_STRIP, "and the event is printed, not skipped");
	s = "{\"type\": \"result\", \"n\": 123456789012345678901234567890}";
	is_int(rpc_event_classify(s, strlen(s), &f), EV_RESULT,
	    "an integer beyond 64 bits");
	ok(f == RPC_FORM_STRIP, "is printed (stripped), not skipped");
}

int
main(void)
{
	test_sample();
	test_cases();
	test_limits();
	test_targets();
	test_json();
	return tap_done();
}
