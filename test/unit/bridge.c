/* Unit tests: the bridge's outbox (lib/bridge.c) with a platform of our
 * own that records calls and answers them from the event loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "bridge.h"
#include "tap.h"
#include "util.h"

static struct event_base *base;
static struct bridge *br;
static struct buf log_;		/* "KIND channel id text;" per call */
static int next_id = 1;
static const char *wait_channel;	/* answer 429 once for this channel */
static double wait_secs;

struct answer {
	struct bridge_call c;
	int status;
};

static void
answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct answer *a = arg;
	struct bridge_result r = { BRIDGE_OK, NULL, 0, false, NULL };
	char id[16];

	(void)fd;
	(void)what;
	if (a->status == BRIDGE_WAIT) {
		r.status = BRIDGE_WAIT;
		r.retry_after = wait_secs;
	} else if (a->c.kind == BRIDGE_SEND || a->c.kind == BRIDGE_FILE) {
		snprintf(id, sizeof(id), "%d", next_id++);
		r.msg_id = id;
	}
	bridge_call_done(br, &a->c, &r);
	free(a);
}

static void
plat_call(void *ctx, const struct bridge_call *c)
{
	static const char *k[] = { "SEND", "EDIT", "DELETE", "TYPING", "FILE", "ASK",
	    "COMMANDS", "CUSTOM" };
	struct answer *a = xcalloc(1, sizeof(*a));
	struct timeval tv = { 0, 1000 };

	(void)ctx;
	a->c = *c;
	if (wait_channel && strcmp(c->channel, wait_channel) == 0) {
		a->status = BRIDGE_WAIT;
		wait_channel = NULL;
		buf_printf(&log_, "429 %s;", c->channel);
	} else
		buf_printf(&log_, "%s %s %s %s;", k[c->kind], c->channel,
		    c->msg_id ? c->msg_id : "-", c->text ? c->text : "-");
	event_base_once(base, -1, EV_TIMEOUT, answer_cb, a, &tv);
}

/* hold(): the first EDIT waits hold_secs (once), as a learnt bucket would. */
static double hold_secs;
static int holds;

static double
plat_hold(void *ctx, const struct bridge_call *c)
{
	(void)ctx;
	if (c->kind == BRIDGE_EDIT && hold_secs > 0) {
		double h = hold_secs;

		hold_secs = 0;
		holds++;
		buf_printf(&log_, "HOLD %s;", c->text);
		return h;
	}
	return 0;
}

static void act(const char *json);

/* While the edit is held: two newer edits, then the end of input. */
static void
later_edits(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	act("{\"op\":\"edit\",\"ref\":\"m1\",\"text\":\"c\"}");
	act("{\"op\":\"edit\",\"ref\":\"m1\",\"text\":\"d\"}");
	act("{\"op\":\"send\",\"channel\":\"t:2\",\"ref\":\"o\",\"text\":\"other\"}");
	bridge_input_done(br);
}

/* "a|b|c" renders as three chunks. */
static size_t
plat_render(void *ctx, const char *md, char ***chunks)
{
	char *s = xstrdup(md), *save = NULL, *t;
	char **v = NULL;
	size_t n = 0;

	(void)ctx;
	for (t = strtok_r(s, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = xstrdup(t);
	}
	free(s);
	*chunks = v;
	return n;
}

static void
act(const char *json)
{
	json_t *a = json_loads(json, 0, NULL);

	bridge_action(br, a);
	json_decref(a);
}

static void
idle(void *arg)
{
	(void)arg;
	event_base_loopbreak(base);
}

/* Feed the actions, run until the outbox is empty, return the call log. */
static const char *
run(double interval)
{
	(void)interval;
	event_base_dispatch(base);
	return log_.s ? log_.s : "";
}

static void
fresh(double interval)
{
	static const struct bridge_platform p = { plat_render, plat_call, NULL, NULL };
	struct bridge_config c = { 0 };

	if (br)
		bridge_free(br);
	buf_clear(&log_);
	next_id = 1;
	c.channel_interval = interval;
	c.max_file = 10;
	br = bridge_new(base, &c, &p, NULL);
	bridge_on_idle(br, idle, NULL);
}

int
main(void)
{
	int fds[2];
	struct buf out = { 0 };
	long long t0;

	base = event_base_new();

	fresh(0);
	act("{\"op\":\"send\",\"channel\":\"t:1\",\"ref\":\"m1\",\"text\":\"a\"}");
	act("{\"op\":\"edit\",\"ref\":\"m1\",\"text\":\"b\"}");
	act("{\"op\":\"edit\",\"ref\":\"m1\",\"text\":\"c\"}");
	act("{\"op\":\"edit\",\"ref\":\"m1\",\"text\":\"d\"}");
	bridge_input_done(br);
	is_str(run(0), "SEND t:1 - a;EDIT t:1 1 d;",
	    "edits waiting behind a send are coalesced to the newest");

	fresh(0);
	act("{\"op\":\"send\",\"channel\":\"t:1\",\"ref\":\"m1\",\"text\":\"a|b|c\"}");
	act("{\"op\":\"edit\",\"ref\":\"m1\",\"text\":\"a|b|C\"}");
	bridge_input_done(br);
	is_str(run(0), "SEND t:1 - a;SEND t:1 - b;SEND t:1 - c;EDIT t:1 3 C;",
	    "a multi-chunk edit edits only the chunk that changed");

	fresh(0);
	act("{\"op\":\"send\",\"channel\":\"t:1\",\"ref\":\"m1\",\"text\":\"a|b|c\"}");
	act("{\"op\":\"edit\",\"ref\":\"m1\",\"text\":\"a|B\"}");
	bridge_input_done(br);
	run(0);
	buf_clear(&log_);
	act("{\"op\":\"edit\",\"ref\":\"m1\",\"text\":\"a|B|c|d\"}");
	act("{\"op\":\"delete\",\"ref\":\"m1\"}");
	is_str(run(0), "SEND t:1 - c;SEND t:1 - d;DELETE t:1 1 -;DELETE t:1 2 -;DELETE t:1 4 -;DELETE t:1 5 -;",
	    "shorter edit deleted the surplus chunk, longer one sent new ones, delete removes all");

	fresh(0);
	wait_channel = "t:1";
	wait_secs = 0.3;
	t0 = monotonic_ms();
	act("{\"op\":\"send\",\"channel\":\"t:1\",\"ref\":\"m1\",\"text\":\"slow\"}");
	act("{\"op\":\"send\",\"channel\":\"t:2\",\"ref\":\"m2\",\"text\":\"fast\"}");
	bridge_input_done(br);
	is_str(run(0), "429 t:1;SEND t:2 - fast;SEND t:1 - slow;",
	    "a 429 holds back its channel only, and the call is made again");
	ok(monotonic_ms() - t0 >= 300, "  after retry_after");

	fresh(0.2);
	t0 = monotonic_ms();
	act("{\"op\":\"send\",\"channel\":\"t:1\",\"ref\":\"a\",\"text\":\"1\"}");
	act("{\"op\":\"send\",\"channel\":\"t:1\",\"ref\":\"b\",\"text\":\"2\"}");
	act("{\"op\":\"send\",\"channel\":\"t:1\",\"ref\":\"c\",\"text\":\"3\"}");
	bridge_input_done(br);
	is_str(run(0), "SEND t:1 - 1;SEND t:1 - 2;SEND t:1 - 3;", "sends keep their order");
	ok(monotonic_ms() - t0 >= 400, "  paced at channel_interval");

	/* hold(): a held edit waits without a call, still takes newer text;
	 * another channel goes on meanwhile. */
	{
		static const struct bridge_platform ph = { plat_render, plat_call, NULL,
		    plat_hold };
		struct bridge_config c = { 0 };
		struct timeval tv = { 0, 100000 };

		bridge_free(br);
		buf_clear(&log_);
		next_id = 1;
		br = bridge_new(base, &c, &ph, NULL);
		bridge_on_idle(br, idle, NULL);
		hold_secs = 0.3;
		t0 = monotonic_ms();
		act("{\"op\":\"send\",\"channel\":\"t:1\",\"ref\":\"m1\",\"text\":\"a\"}");
		act("{\"op\":\"edit\",\"ref\":\"m1\",\"text\":\"b\"}");
		event_base_once(base, -1, EV_TIMEOUT, later_edits, NULL, &tv);
		is_str(run(0), "SEND t:1 - a;HOLD b;SEND t:2 - other;EDIT t:1 1 d;",
		    "hold: the held edit is made later, coalesced to the newest text");
		ok(monotonic_ms() - t0 >= 300, "  after the hold");
		ok(holds == 1, "  held once");
	}

	/* Under a global pace, the channels take turns: none is served
	 * twice while another waits (round robin), so none is left to
	 * finish alone at its own bucket's pace. */
	{
		static const struct bridge_platform pg = { plat_render, plat_call, NULL,
		    NULL };
		struct bridge_config c = { 0 };

		bridge_free(br);
		buf_clear(&log_);
		next_id = 1;
		c.global_rate = 200;
		br = bridge_new(base, &c, &pg, NULL);
		bridge_on_idle(br, idle, NULL);
		act("{\"op\":\"send\",\"channel\":\"t:1\",\"ref\":\"a1\",\"text\":\"a1\"}");
		act("{\"op\":\"send\",\"channel\":\"t:1\",\"ref\":\"a2\",\"text\":\"a2\"}");
		act("{\"op\":\"send\",\"channel\":\"t:1\",\"ref\":\"a3\",\"text\":\"a3\"}");
		act("{\"op\":\"send\",\"channel\":\"t:2\",\"ref\":\"b1\",\"text\":\"b1\"}");
		act("{\"op\":\"send\",\"channel\":\"t:2\",\"ref\":\"b2\",\"text\":\"b2\"}");
		act("{\"op\":\"send\",\"channel\":\"t:3\",\"ref\":\"c1\",\"text\":\"c1\"}");
		act("{\"op\":\"send\",\"channel\":\"t:3\",\"ref\":\"c2\",\"text\":\"c2\"}");
		bridge_input_done(br);
		run(0);
		/* The first pass sends one per channel (in whatever order); from
		 * then on the three alternate: a channel's second call never
		 * comes before every channel has had its first. */
		{
			const char *l = log_.s ? log_.s : "";
			const char *a2 = strstr(l, " a2;"), *b1 = strstr(l, " b1;"),
			    *c1 = strstr(l, " c1;"), *a3 = strstr(l, " a3;"),
			    *b2 = strstr(l, " b2;"), *c2 = strstr(l, " c2;");

			if (!ok(a2 && b1 && c1 && a3 && b2 && c2 && a2 > b1 && a2 > c1 &&
			    b2 > c1 && c2 > b1 && a3 > b2 && a3 > c2,
			    "global pace: the channels are served in turn"))
				printf("#   calls: %s\n", l);
		}
	}

	/* failed events on the output. */
	fresh(0);
	if (pipe(fds) == -1)
		return 1;
	{
		json_t *h = json_pack("{s:s}", "type", "hello");
		int devnull = open("/dev/null", 0);
		struct bridge_config c = { 0 };
		static const struct bridge_platform p = { plat_render, plat_call, NULL, NULL };

		bridge_free(br);
		c.hello = h;
		c.max_file = 10;
		br = bridge_new(base, &c, &p, NULL);
		json_decref(h);
		bridge_on_idle(br, idle, NULL);
		bridge_start_io(br, devnull, fds[1]);
		act("{\"op\":\"edit\",\"ref\":\"nope\",\"text\":\"x\"}");
		act("{\"op\":\"file\",\"channel\":\"t:1\",\"path\":\"/etc/passwd\",\"ref\":\"f\"}");
		act("{\"op\":\"send\",\"channel\":\"t:1\",\"ref\":\"e\",\"text\":\"\"}");
		run(0);
		close(fds[1]);
		read_fd(fds[0], 0, &out);
		close(fds[0]);
		close(devnull);
	}
	ok(str_starts(out.s, "{\"type\":\"hello\"}\n"), "hello first");
	ok(strstr(out.s, "{\"type\":\"failed\",\"op\":\"edit\",\"error\":\"unknown ref\",\"ref\":\"nope\"}") != NULL,
	    "unknown ref: failed");
	ok(strstr(out.s, "\"op\":\"file\",\"error\":\"file too large:") != NULL, "file over max_file: failed");
	ok(strstr(out.s, "\"op\":\"send\",\"error\":\"nothing to show: the text is empty\"") != NULL,
	    "empty send: failed");
	buf_free(&out);
	bridge_free(br);
	buf_free(&log_);
	event_base_free(base);
	return tap_done();
}
