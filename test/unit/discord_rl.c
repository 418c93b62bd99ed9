/* Unit tests: Discord's rate-limit buckets (lib/discord_rl.c) on a clock
 * of our own. */
#include <stdlib.h>
#include <string.h>

#include "discord_rl.h"
#include "tap.h"

static void
route_is(const char *method, const char *path, const char *want_route,
    const char *want_major, bool want_exempt, const char *name)
{
	char *r, *m;
	bool ex;

	dc_route(method, path, &r, &m, &ex);
	is_str(r, want_route, name);
	is_str(m, want_major, "  its major parameter");
	ok(ex == want_exempt, want_exempt ? "  exempt from the global limit" :
	    "  counted by the global limit");
	free(r);
	free(m);
}

static struct dc_rl_answer
ok_answer(const char *bucket, const char *limit, const char *remaining,
    const char *reset_after)
{
	struct dc_rl_answer a = { 0 };

	a.status = 200;
	a.bucket = bucket;
	a.limit = limit;
	a.remaining = remaining;
	a.reset_after = reset_after;
	return a;
}

int
main(void)
{
	struct dc_rl *rl;
	struct dc_rl_answer a;
	long long t;
	int went;

	route_is("POST", "/channels/123/messages", "POST /channels/{}/messages", "123",
	    false, "a channel is the major parameter");
	route_is("PATCH", "/channels/123/messages/456?x=1", "PATCH /channels/{}/messages/:id",
	    "123", false, "a message id is minor; the query is not part of the route");
	route_is("POST", "/webhooks/77/tok-en/messages/@original",
	    "POST /webhooks/{}/{}/messages/@original", "77/tok-en", false,
	    "a webhook's id and token are major");
	route_is("POST", "/interactions/9/abc/callback", "POST /interactions/:id/:token/callback",
	    "", true, "interaction callbacks are exempt");
	route_is("PUT", "/applications/5/guilds/6/commands",
	    "PUT /applications/:id/guilds/{}/commands", "6", false, "a guild is major");

	/* Learning a bucket: 3 per window; the 4th waits for the reset. */
	rl = dc_rl_new();
	t = 1000;
	ok(dc_rl_acquire(rl, "POST", "/channels/1/messages", t) == 0,
	    "an unknown route goes at once");
	a = ok_answer("b1", "3", "2", "1.5");
	dc_rl_learn(rl, "POST", "/channels/1/messages", &a, t + 10);
	went = 0;
	while (dc_rl_acquire(rl, "POST", "/channels/1/messages", t + 20) == 0 && went < 10)
		went++;
	is_int(went, 2, "the remaining 2 go, no more");
	is_int(dc_rl_peek(rl, "POST", "/channels/1/messages", t + 20), 1500 - 10,
	    "the next waits for Reset-After, counted from the answer");
	ok(dc_rl_acquire(rl, "POST", "/channels/2/messages", t + 20) == 0,
	    "another channel's bucket is its own");
	ok(dc_rl_acquire(rl, "PATCH", "/channels/1/messages/5", t + 20) == 0,
	    "another route is not held (its bucket is not known yet)");
	a = ok_answer("b1", "3", "1", "1.49");
	dc_rl_learn(rl, "PATCH", "/channels/1/messages/5", &a, t + 30);
	ok(dc_rl_peek(rl, "PATCH", "/channels/1/messages/6", t + 30) > 0,
	    "routes with the same X-RateLimit-Bucket share the limit");
	is_int(dc_rl_peek(rl, "POST", "/channels/1/messages", t + 1510), 10,
	    "the later reset of the shared bucket's answer counts");
	ok(dc_rl_acquire(rl, "POST", "/channels/1/messages", t + 1520) == 0,
	    "after the reset the window is full again");
	ok(dc_rl_acquire(rl, "POST", "/channels/1/messages", t + 1521) == 0 &&
	    dc_rl_acquire(rl, "POST", "/channels/1/messages", t + 1522) == 0 &&
	    dc_rl_acquire(rl, "POST", "/channels/1/messages", t + 1523) > 0,
	    "  with its limit of 3");
	/* A late answer of the same window never raises what remains. */
	a = ok_answer("b1", "3", "2", "1.4");
	dc_rl_learn(rl, "POST", "/channels/1/messages", &a, t + 1530);
	ok(dc_rl_peek(rl, "POST", "/channels/1/messages", t + 1530) > 0,
	    "a late answer of the same window does not raise Remaining");
	/* The server's end of the window wins over our estimate when later. */
	a = ok_answer("b1", "3", "0", "1.5");
	dc_rl_learn(rl, "POST", "/channels/1/messages", &a, t + 1540);
	is_int(dc_rl_peek(rl, "POST", "/channels/1/messages", t + 1540), 1500,
	    "the same window's later reset moves ours later");
	dc_rl_free(rl);

	/* 429s: per route, global. */
	rl = dc_rl_new();
	t = 5000;
	memset(&a, 0, sizeof(a));
	a.status = 429;
	a.bucket = "b2";
	a.retry_after = 0.75;
	dc_rl_learn(rl, "PATCH", "/channels/1/messages/2", &a, t);
	is_int(dc_rl_peek(rl, "PATCH", "/channels/1/messages/3", t), 750,
	    "a route's 429 holds its bucket for retry_after");
	ok(dc_rl_peek(rl, "PATCH", "/channels/8/messages/3", t) == 0,
	    "  not another channel's");
	ok(dc_rl_acquire(rl, "PATCH", "/channels/1/messages/3", t + 751) == 0,
	    "  and goes after it");
	memset(&a, 0, sizeof(a));
	a.status = 429;
	a.global = "true";
	a.retry_after = 2.0;
	dc_rl_learn(rl, "POST", "/channels/3/messages", &a, t);
	is_int(dc_rl_peek(rl, "POST", "/channels/4/messages", t + 500), 1500,
	    "a global 429 holds every route");
	ok(dc_rl_peek(rl, "POST", "/interactions/1/x/callback", t + 500) == 0,
	    "  but the interaction callback");
	memset(&a, 0, sizeof(a));
	a.status = 429;
	a.body_global = true;
	a.retry_after = 3.0;
	dc_rl_learn(rl, "POST", "/channels/3/messages", &a, t);
	is_int(dc_rl_peek(rl, "GET", "/gateway/bot", t), 3000, "global from the body too");
	memset(&a, 0, sizeof(a));
	a.status = 429;
	a.retry_after = 1.0;
	dc_rl_learn(rl, "POST", "/channels/9/typing", &a, t + 4000);
	is_int(dc_rl_peek(rl, "POST", "/channels/9/typing", t + 4000), 1000,
	    "a 429 with no bucket header still holds its route");
	is_int(dc_rl_429s(rl), 4, "429s counted");
	a = ok_answer(NULL, NULL, NULL, NULL);
	dc_rl_learn(rl, "GET", "/channels/9", &a, t);
	ok(dc_rl_peek(rl, "GET", "/channels/9", t + 3001) == 0, "no headers: nothing learnt");
	dc_rl_free(rl);
	return tap_done();
}
