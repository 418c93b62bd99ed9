/* libFuzzer target for what cc-lark reads from the network: the long
 * connection's frames (lib/lark_frame.c) and the events in them
 * (lib/lark_event.c), and what it renders of them (lib/lark_md.c).  The
 * input is taken as a frame; when it decodes, its payload is fed to the
 * fragment reassembly and parsed as an event; independently the input is
 * parsed as an event, a discovery answer, a pong's ClientConfig, a
 * callback's encrypted body, and rendered as Markdown into cards and posts.
 * Checks:
 * - a frame that decodes encodes again and decodes to the same ids and
 *   headers; its ack decodes and carries the same ids;
 * - a message event is an object with a "lark:" channel and UTF-8 text;
 * - every rendered chunk is valid JSON within the content limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "lark_cb.h"
#include "lark_event.h"
#include "lark_frame.h"
#include "lark_md.h"
#include "util.h"

static struct lark_frags *frags;
static long long clock_ms;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_event(const char *s, size_t n)
{
	struct lark_event e;
	struct lark_res *res;
	struct lark_press p;
	size_t nres;
	json_t *ev;

	if (lark_event_parse(s, n, &e) == -1)
		return;
	ev = lark_message_event(e.event, NULL, &res, &nres, NULL, NULL);
	if (ev) {
		const char *ch = json_string_value(json_object_get(ev, "channel"));

		if (ch == NULL || strncmp(ch, "lark:", 5) != 0 ||
		    !json_is_string(json_object_get(ev, "text")))
			abort();
		json_decref(ev);
	}
	lark_res_free(res, nres);
	if (lark_card_press(e.event, &p) && (p.ref == NULL || p.user == NULL))
		abort();
	json_decref(e.root);
}

static void
check_chunks(const char *md, bool card)
{
	char **ch;
	size_t n = lark_md_chunks(md, card, 2048, &ch);

	for (size_t i = 0; i < n; i++) {
		json_t *j = json_loads(ch[i], 0, NULL);

		if (j == NULL || strlen(ch[i]) > 2048)
			abort();
		json_decref(j);
		free(ch[i]);
	}
	free(ch);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lark_frame f, g;
	struct lark_wsconf conf;
	struct lark_endpoint ep;
	char *s = xstrndup((const char *)data, size), *dec;
	unsigned char *enc, *whole;
	size_t n, wn;

	if (frags == NULL)
		frags = lark_frags_new();
	clock_ms += 100;
	if (lark_frame_decode(data, size, &f) == 0) {
		enc = lark_frame_encode(&f, &n);
		if (lark_frame_decode(enc, n, &g) == -1 || g.seq_id != f.seq_id ||
		    g.log_id != f.log_id || g.method != f.method || g.nheaders != f.nheaders ||
		    g.payload_len != f.payload_len)
			abort();
		for (size_t i = 0; i < g.nheaders; i++)
			if (strcmp(g.keys[i], f.keys[i]) || strcmp(g.values[i], f.values[i]))
				abort();
		lark_frame_free(&g);
		free(enc);
		enc = lark_ack(&f, 200, 1, size & 1 ? "{\"toast\":{}}" : NULL, &n);
		if (lark_frame_decode(enc, n, &g) == -1 || g.seq_id != f.seq_id ||
		    lark_frame_header(&g, "biz_rt") == NULL)
			abort();
		lark_frame_free(&g);
		free(enc);
		if (f.payload) {
			const char *sum = lark_frame_header(&f, "sum");
			const char *seq = lark_frame_header(&f, "seq");

			whole = lark_frags_add(frags, lark_frame_header(&f, "message_id"),
			    sum ? atol(sum) : 1, seq ? atol(seq) : 0, f.payload, f.payload_len,
			    clock_ms, &wn);
			if (whole) {
				check_event((const char *)whole, wn);
				free(whole);
			}
			check_event((const char *)f.payload, f.payload_len);
		}
		lark_frame_free(&f);
	}
	check_event((const char *)data, size);
	lark_wsconf_default(&conf);
	lark_endpoint_parse(200, (const char *)data, size, &conf, &ep);
	lark_endpoint_free(&ep);
	lark_wsconf_apply_text(&conf, data, size);
	if ((dec = lark_cb_decrypt("k", s, &n)) != NULL)
		free(dec);
	if (size < 4096) {
		check_chunks(s, true);
		check_chunks(s, false);
	}
	free(s);
	return 0;
}
