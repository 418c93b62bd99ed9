/* Unit tests for Lark's wire formats (lib/lark_frame.c, lib/lark_event.c),
 * its Markdown rendering and splitting (lib/lark_md.c) and the callback
 * crypto (lib/lark_cb.c). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "lark_cb.h"
#include "lark_event.h"
#include "lark_frame.h"
#include "lark_md.h"
#include "tap.h"
#include "util.h"

static void
test_frames(void)
{
	struct lark_frame f = { 0 }, g, h;
	unsigned char *enc, *ack;
	size_t n, an;
	json_t *j;

	/* The reference's tag bytes: 0x08 SeqID, 0x10 LogID, 0x18 service,
	 * 0x20 method, 0x2a headers. */
	enc = lark_ping(7, &n);
	ok(n >= 8 && enc[0] == 0x08 && enc[1] == 0 && enc[2] == 0x10 && enc[3] == 0 &&
	    enc[4] == 0x18 && enc[5] == 7 && enc[6] == 0x20 && enc[7] == 0 &&
	    enc[8] == 0x2a, "a ping: the four required fields, then a header");
	ok(lark_frame_decode(enc, n, &g) == 0, "a ping decodes");
	is_str(lark_frame_header(&g, "type"), "ping", "the ping's type header");
	is_int(g.service, 7, "its service");
	ok(g.payload == NULL, "no payload");
	lark_frame_free(&g);
	free(enc);

	f.seq_id = 42;
	f.log_id = 1ULL << 62;
	f.service = 7;
	f.method = LARK_METHOD_DATA;
	lark_frame_set_header(&f, "type", "event");
	lark_frame_set_header(&f, "message_id", "m1");
	lark_frame_set_header(&f, "sum", "1");
	lark_frame_set_payload(&f, "{\"x\":1}", 7);
	enc = lark_frame_encode(&f, &n);
	ok(lark_frame_decode(enc, n, &g) == 0, "a data frame round trips");
	ok(g.seq_id == 42 && g.log_id == 1ULL << 62 && g.method == 1 && g.nheaders == 3,
	    "its ids, method and headers");
	ok(g.payload_len == 7 && memcmp(g.payload, "{\"x\":1}", 7) == 0, "its payload");
	ack = lark_ack(&g, 200, 12, NULL, &an);
	ok(lark_frame_decode(ack, an, &h) == 0, "the ack decodes");
	ok(h.seq_id == 42 && h.log_id == g.log_id && h.service == 7 && h.method == 1,
	    "the ack keeps SeqID, LogID, service and method");
	is_str(lark_frame_header(&h, "message_id"), "m1", "and the headers");
	is_str(lark_frame_header(&h, "biz_rt"), "12", "plus biz_rt");
	is_str((char *)h.payload, "{\"code\":200}", "payload {\"code\":200}");
	lark_frame_free(&h);
	free(ack);
	ack = lark_ack(&g, 200, 0, "{\"toast\":1}", &an);
	lark_frame_decode(ack, an, &h);
	j = json_loads((char *)h.payload, 0, NULL);
	is_str(json_string_value(json_object_get(j, "data")), "eyJ0b2FzdCI6MX0=",
	    "a card ack carries data: base64 of the response");
	json_decref(j);
	lark_frame_free(&h);
	free(ack);
	lark_frame_free(&g);
	lark_frame_free(&f);
	ok(lark_frame_decode("\x08", 1, &g) == -1, "a truncated frame is refused");
	ok(lark_frame_decode("\x0a\x01x", 3, &g) == -1, "a frame without its required "
	    "fields is refused");
	free(enc);
}

static void
test_frags(void)
{
	struct lark_frags *fr = lark_frags_new();
	unsigned char *w;
	size_t n = 0;

	ok(lark_frags_add(fr, "a", 3, 2, "ghi", 3, 0, &n) == NULL, "fragment 3 of 3: wait");
	ok(lark_frags_add(fr, "a", 3, 0, "abc", 3, 1, &n) == NULL, "1 of 3: wait");
	ok(lark_frags_add(fr, "a", 3, 0, "XXX", 3, 1, &n) == NULL, "a repeat: ignored");
	w = lark_frags_add(fr, "a", 3, 1, "def", 3, 2, &n);
	ok(w && n == 9 && strcmp((char *)w, "abcdefghi") == 0, "all in: the payload in order");
	free(w);
	is_int(lark_frags_count(fr), 0, "the set is gone");
	ok(lark_frags_add(fr, "b", 2, 0, "x", 1, 0, &n) == NULL, "a set started");
	ok(lark_frags_add(fr, "c", 2, 0, "y", 1, LARK_FRAG_TTL_MS + 1, &n) == NULL &&
	    lark_frags_count(fr) == 1, "an incomplete set is dropped after its time");
	ok(lark_frags_add(fr, "d", 2, 2, "y", 1, 0, &n) == NULL &&
	    lark_frags_add(fr, "d", 0, 0, "y", 1, 0, &n) == NULL, "seq or sum out of range");
	lark_frags_free(fr);
}

static void
test_endpoint(void)
{
	struct lark_wsconf c;
	struct lark_endpoint ep;
	const char *ok1 = "{\"code\":0,\"data\":{\"URL\":\"wss://x/ws/v2?device_id=d1&"
	    "service_id=33\",\"ClientConfig\":{\"ReconnectCount\":5,\"ReconnectInterval\":3,"
	    "\"ReconnectNonce\":0,\"PingInterval\":9}}}";

	lark_wsconf_default(&c);
	ok(c.reconnect_count == -1 && c.reconnect_interval == 120 && c.reconnect_nonce == 30 &&
	    c.ping_interval == 120, "ClientConfig defaults");
	is_int(lark_endpoint_parse(200, ok1, strlen(ok1), &c, &ep), LARK_DISC_OK,
	    "discovery: ok");
	is_str(ep.url, "wss://x/ws/v2?device_id=d1&service_id=33", "the URL");
	is_int(ep.service, 33, "service_id from the URL");
	ok(c.reconnect_count == 5 && c.reconnect_interval == 3 && c.reconnect_nonce == 0 &&
	    c.ping_interval == 9, "the ClientConfig applied");
	lark_endpoint_free(&ep);
	is_int(lark_endpoint_parse(200, "{\"code\":1,\"msg\":\"busy\"}", 22, &c, &ep),
	    LARK_DISC_RETRY, "code 1: retry");
	lark_endpoint_free(&ep);
	is_int(lark_endpoint_parse(200, "{\"code\":1000040344,\"msg\":\"x\"}", 29, &c, &ep),
	    LARK_DISC_FATAL, "another code: fatal");
	lark_endpoint_free(&ep);
	is_int(lark_endpoint_parse(502, "", 0, &c, &ep), LARK_DISC_RETRY, "no answer: retry");
	lark_endpoint_free(&ep);
	ok(lark_wsconf_apply_text(&c, "{\"PingInterval\":2,\"ReconnectNonce\":-5}", 38) &&
	    c.ping_interval == 2 && c.reconnect_nonce == 0, "a pong's ClientConfig; a bad "
	    "value ignored");
}

static json_t *
msg_event(const char *type, const char *content, const char *mentions)
{
	char *s = xasprintf("{\"sender\":{\"sender_id\":{\"open_id\":\"ou_a\"},\"sender_type\":"
	    "\"user\"},\"message\":{\"message_id\":\"om_1\",\"chat_id\":\"oc_9\",\"chat_type\":"
	    "\"group\",\"message_type\":\"%s\",\"content\":%s,\"mentions\":%s}}", type,
	    content, mentions);
	json_t *j = json_loads(s, 0, NULL);

	free(s);
	return j;
}

static void
test_events(void)
{
	struct strlist admins = { 0 };
	char *adm[] = { "ou_a" };
	struct lark_res *res;
	size_t nres;
	const char *ct, *mid;
	json_t *in, *ev;
	struct lark_event e;
	struct lark_press p;

	admins.v = adm;
	admins.n = 1;
	in = msg_event("text", "\"{\\\"text\\\":\\\"@_user_1 /start gpu app @_user_2 hi\\\"}\"",
	    "[{\"key\":\"@_user_1\",\"name\":\"Bot\"},{\"key\":\"@_user_2\",\"name\":\"Bob\"}]");
	ev = lark_message_event(in, &admins, &res, &nres,
	    &ct, &mid);
	is_str(json_string_value(json_object_get(ev, "text")), "/start gpu app @Bob hi",
	    "a leading mention goes, another becomes @name");
	is_str(json_string_value(json_object_get(ev, "channel")), "lark:oc_9", "the channel");
	ok(json_is_true(json_object_get(ev, "admin")), "admin_users sets admin");
	is_str(ct, "group", "chat_type");
	is_int(nres, 0, "no resources");
	json_decref(ev);
	json_decref(in);
	in = msg_event("post", "\"{\\\"title\\\":\\\"T\\\",\\\"content\\\":[[{\\\"tag\\\":\\\"at\\\","
	    "\\\"user_id\\\":\\\"@_user_1\\\"},{\\\"tag\\\":\\\"text\\\",\\\"text\\\":\\\" look\\\"}],"
	    "[{\\\"tag\\\":\\\"img\\\",\\\"image_key\\\":\\\"img_7\\\"}]]}\"",
	    "[{\"key\":\"@_user_1\",\"name\":\"Bot\"}]");
	ev = lark_message_event(in, NULL, &res, &nres, NULL, NULL);
	is_str(json_string_value(json_object_get(ev, "text")), "T\n@Bot look",
	    "a post: title and rows as text (a mention after the title stays, as @name)");
	ok(nres == 1 && strcmp(res[0].key, "img_7") == 0 && strcmp(res[0].type, "image") == 0 &&
	    strcmp(res[0].name, "img_7.png") == 0, "its image as a resource");
	lark_res_free(res, nres);
	json_decref(ev);
	json_decref(in);
	in = msg_event("file", "\"{\\\"file_key\\\":\\\"file_3\\\",\\\"file_name\\\":\\\"../a b.pdf\\\"}\"",
	    "[]");
	ev = lark_message_event(in, NULL, &res, &nres, NULL, NULL);
	ok(ev && nres == 1 && strcmp(res[0].name, "a-b.pdf") == 0,
	    "a file: its name made safe");
	lark_res_free(res, nres);
	json_decref(ev);
	json_decref(in);
	in = msg_event("text", "\"{\\\"text\\\":\\\"@_user_1\\\"}\"", "[{\"key\":\"@_user_1\"}]");
	ok(lark_message_event(in, NULL, &res, &nres, NULL, NULL) == NULL,
	    "only a mention: nothing to pass on");
	json_decref(in);
	in = json_loads("{\"sender\":{\"sender_id\":{\"open_id\":\"ou_b\"},\"sender_type\":\"app\"},"
	    "\"message\":{\"message_id\":\"om_2\",\"chat_id\":\"oc_1\",\"message_type\":\"text\","
	    "\"content\":\"{\\\"text\\\":\\\"x\\\"}\"}}", 0, NULL);
	ok(lark_message_event(in, NULL, &res, &nres, NULL, NULL) == NULL, "an app's message: "
	    "ignored");
	json_decref(in);

	const char *card = "{\"schema\":\"2.0\",\"header\":{\"event_id\":\"e1\",\"event_type\":"
	    "\"card.action.trigger\",\"token\":\"t\"},\"event\":{\"operator\":{\"open_id\":"
	    "\"ou_a\"},\"action\":{\"value\":{\"cc\":\"q7\",\"v\":\"1\"}},\"context\":{"
	    "\"open_message_id\":\"om_5\",\"open_chat_id\":\"oc_1\"}}}";

	ok(lark_event_parse(card, strlen(card), &e) == 0, "a card event parses");
	is_str(e.event_id, "e1", "event_id");
	is_str(e.type, "card.action.trigger", "event_type");
	ok(lark_card_press(e.event, &p) && strcmp(p.ref, "q7") == 0 &&
	    strcmp(p.value, "1") == 0 && strcmp(p.chat_id, "oc_1") == 0 && !p.done,
	    "the press: ref, value, chat");
	json_decref(e.root);
	ok(lark_event_parse("[1]", 3, &e) == -1, "not an object: refused");
}

static void
test_md(void)
{
	char *s, **ch;
	size_t n;
	json_t *j;
	struct buf big = { 0 };

	s = lark_md_card("# Title\n\nSome **bold** and `code`, a <b>tag</b> & *star*\\*.\n\n"
	    "---\n\n```c\nint x;\n```");
	j = json_loads(s, 0, NULL);
	ok(json_is_true(json_object_get(json_object_get(j, "config"), "update_multi")),
	    "a card can be updated (update_multi)");
	is_int(json_array_size(json_object_get(j, "elements")), 3, "markdown, hr, markdown");
	is_str(json_string_value(json_object_get(json_array_get(json_object_get(j, "elements"), 0),
	    "content")), "**Title**\n\nSome **bold** and `code`, a &lt;b&gt;tag&lt;/b&gt; &amp; "
	    "*star*&#42;.", "headings bold, tags and & as entities, a literal * kept literal");
	is_str(json_string_value(json_object_get(json_array_get(json_object_get(j, "elements"), 2),
	    "content")), "```c\nint x;\n```", "a code block with its language");
	json_decref(j);
	free(s);

	s = lark_md_post("Hi **b** [l](https://x.y)\n\n- one\n- two\n\n```py\nx=1\n```");
	is_str(s, "{\"zh_cn\":{\"title\":\"\",\"content\":[[{\"tag\":\"text\",\"text\":\"Hi \"},"
	    "{\"tag\":\"text\",\"text\":\"b\",\"style\":[\"bold\"]},{\"tag\":\"text\",\"text\":\" \"},"
	    "{\"tag\":\"a\",\"text\":\"l\",\"href\":\"https://x.y\"}],[],[{\"tag\":\"text\","
	    "\"text\":\"• \"},{\"tag\":\"text\",\"text\":\"one\"}],[{\"tag\":\"text\",\"text\":\"• \"},"
	    "{\"tag\":\"text\",\"text\":\"two\"}],[],[{\"tag\":\"code_block\",\"text\":\"x=1\","
	    "\"language\":\"py\"}]]}}", "a post: styles, links, list rows, a code block");
	free(s);

	is_int(lark_md_chunks("", true, LARK_CONTENT_LIMIT, &ch), 0, "nothing to show: 0 chunks");
	free(ch);
	/* 20000 CJK characters are 60 KB: over the 30 KB limit, split by size. */
	for (int i = 0; i < 2000; i++)
		buf_puts(&big, "漢字漢字漢字漢字漢字\n");
	for (int card = 0; card < 2; card++) {
		size_t total = 0;
		bool fits = true;

		n = lark_md_chunks(big.s, card, LARK_CONTENT_LIMIT, &ch);
		/* a post row costs ~30 bytes of tags besides its text */
		ok(card ? n >= 3 && n <= 4 : n >= 4 && n <= 6, card ?
		    "60 KB of CJK: 3 or 4 cards" : "... 4 to 6 posts");
		for (size_t i = 0; i < n; i++) {
			if (strlen(ch[i]) > LARK_CONTENT_LIMIT)
				fits = false;
			j = json_loads(ch[i], 0, NULL);
			total += j != NULL;
			json_decref(j);
			free(ch[i]);
		}
		free(ch);
		ok(fits && total == n, "each chunk within the limit and valid JSON");
	}
	buf_free(&big);

	{
		json_t *opts = json_loads("[{\"label\":\"A\",\"value\":\"0\"},{\"label\":\"B\","
		    "\"value\":\"1\"}]", 0, NULL);
		json_t *chosen = json_loads("[\"1\"]", 0, NULL), *els, *acts;
		char *lab;

		s = lark_ask_card("Which?", opts, false, "q7", NULL, NULL);
		j = json_loads(s, 0, NULL);
		els = json_object_get(j, "elements");
		acts = json_object_get(json_array_get(els, json_array_size(els) - 1), "actions");
		is_int(json_array_size(acts), 2, "a button per option");
		is_str(json_string_value(json_object_get(json_object_get(json_array_get(acts, 1),
		    "value"), "v")), "1", "each carries its value");
		json_decref(j);
		free(s);
		s = lark_ask_card("Which?", opts, true, "q7", chosen, NULL);
		ok(strstr(s, "✓ B") && strstr(s, "Done"), "multi: chosen marked, a Done button");
		free(s);
		s = lark_ask_card("Which?", opts, false, "q7", NULL, "B");
		ok(strstr(s, "✓ B") && !strstr(s, "\"action\""), "answered: no buttons, the choice");
		free(s);
		lab = lark_ask_labels(opts, "0,1,9");
		is_str(lab, "A, B, 9", "labels of values");
		free(lab);
		json_decref(opts);
		json_decref(chosen);
	}
}

static void
test_cb(void)
{
	const char *body = "{\"schema\":\"2.0\"}";
	char *enc, *dec, *sig;
	size_t n;

	enc = lark_cb_encrypt("ekey", body, strlen(body));
	dec = lark_cb_decrypt("ekey", enc, &n);
	is_str(dec, body, "AES-256-CBC round trip");
	free(dec);
	dec = lark_cb_decrypt("other", enc, &n);
	ok(dec == NULL || strcmp(dec, body) != 0, "another key does not give it");
	free(dec);
	free(enc);
	/* A known vector: Lark's documented example (key "test key"). */
	dec = lark_cb_decrypt("test key",
	    "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", &n);
	is_str(dec, "hello world", "Lark's documented decryption example");
	free(dec);
	sig = lark_cb_signature("1", "n", "k", "b", 1);
	ok(strlen(sig) == 64, "a signature is 64 hex digits");
	ok(lark_cb_signature_ok("1", "n", "k", "b", 1, sig), "it verifies");
	sig[0] = sig[0] == 'a' ? 'b' : 'a';
	ok(!lark_cb_signature_ok("1", "n", "k", "b", 1, sig), "a forged one does not");
	ok(!lark_cb_signature_ok("1", "n", "k", "b", 1, NULL), "nor a missing one");
	free(sig);
}

int
main(void)
{
	test_frames();
	test_frags();
	test_endpoint();
	test_events();
	test_md();
	test_cb();
	return tap_done();
}
